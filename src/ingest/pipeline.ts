import PQueue from 'p-queue';
import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { InterruptedError, SourceError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { InvalidRecordError, type ListedSession, type SessionSource } from '../sources/source.js';
import type { Session } from '../model.js';
import { flattenSession } from './flatten.js';
import { eraseClientsForgottenSince } from './forget-client.js';
import { ForgottenClients } from './forgotten.js';
import { IndexWriter, knownSessions, staleTurnsFilter, type IndexedSession, type IndexWriterOptions } from './index-writer.js';
import { deleteSessionsById, indexedSessionsNotIn } from './reconcile.js';
import { MAX_SKIPPED_RECORDED, SyncStateStore, emptyStatus, type SkippedSession, type SourceStatus } from './sync-state.js';
import { compareTotals, describeMismatches, indexedTotals, type TotalsCheck } from './totals-check.js';

/**
 * One sync pass of one source. The listing is walked newest first; each entry is loaded (fetched and
 * validated) unless the index already holds it closed, flattened, and written in large batches while
 * later entries are still being fetched, so fetching hides behind indexing.
 *
 * Incremental runs list from the watermark less an overlap (passed to sources that filter by time,
 * and the walk stops once a whole page is older), then revisit the sessions that were still in
 * progress. The watermark only advances after a run in which everything was indexed, so a crash or a
 * failed run is simply redone by the next one: documents are keyed by session id and turn index, so
 * redoing never duplicates. Sessions the source answers "not found" for are removed from the index.
 * At the end the source's own totals are compared with what the index holds for it.
 *
 * When `signal` aborts, the pass stops between sessions: nothing new is listed or fetched, what was
 * already fetched is written and waited for, and the checkpoint is saved as for a failed run, so it
 * reflects exactly what is indexed and the next run fetches the rest.
 */
export type SyncOptions = {
  /** List everything, reload everything, and delete indexed sessions the source no longer has. */
  full?: boolean;
  writer?: IndexWriterOptions;
  /** Called with progress counts, for a TTY progress line. */
  onProgress?: (progress: SyncProgress) => void;
  /** Stops the pass early (shutdown); its reason, an InterruptedError, becomes the run's error. */
  signal?: AbortSignal;
};

export type SyncProgress = { source: string; listed: number; sessions: number; turns: number; skipped: number; failed: number };

export type SyncSummary = {
  source: string;
  listed: number;
  sessions: number;
  turns: number;
  unchanged: number;
  skipped: number;
  failed: number;
  vanished: number;
  deleted: number;
  requests: number;
  retries: number;
  durationMs: number;
  error: string | null;
  skippedSessions: SkippedSession[];
  /** Sessions of forgotten clients the source still has: not written, until the client is re-enabled. */
  refused: number;
  /** Null when the source reports no totals, or the run failed before comparing them. */
  totals: TotalsCheck | null;
};

/** Sessions may appear in the listing late (vendor lag): incremental runs look this far back. */
export const WATERMARK_OVERLAP_SECONDS = 6 * 3600;
const KNOWN_CHECK_BATCH = 100;
/**
 * More than a vendor page of entries older than the window (or, re-reading the head, already seen):
 * the rest of the listing is older still.
 */
const STOP_AFTER_STALE_ENTRIES = 250;
/** Head re-reads per run; each one only happens because the previous found sessions created meanwhile. */
const MAX_CATCH_UP_ROUNDS = 3;
/**
 * An interrupted pass waits this long for what it fetched to be indexed before it checkpoints: the
 * service has ~10 s to stop. What is not confirmed by then is simply not counted, and fetched again.
 */
const INTERRUPTED_FLUSH_MS = 4_000;

export async function syncSource(
  deps: { engine: EngineClient; names: IndexNames; source: SessionSource; log: Logger; concurrency: number },
  options: SyncOptions = {},
): Promise<SyncSummary> {
  const { engine, names, source, log } = deps;
  const started = Date.now();
  const store = new SyncStateStore(engine, names);
  const previous = (await store.get(source.name)) ?? emptyStatus(source.name);
  // Without a watermark (first run, or every run so far interrupted) the whole listing is walked; only
  // `--full` also reloads what is already indexed and closed, so an interrupted first sync resumes.
  const full = options.full === true || previous.watermark === null;
  const reload = options.full === true;
  const cutoff = full ? -Infinity : previous.watermark! - WATERMARK_OVERLAP_SECONDS;
  const listOptions = full ? {} : { since: cutoff };
  const status: SourceStatus = { ...previous, lastRunStartedAt: new Date(started).toISOString() };
  await store.put(status, { wait: false });

  const summary: SyncSummary = {
    source: source.name, listed: 0, sessions: 0, turns: 0, unchanged: 0, skipped: 0, failed: 0,
    vanished: 0, deleted: 0, requests: 0, retries: 0, durationMs: 0, error: null, skippedSessions: [], refused: 0, totals: null,
  };
  // Read once per pass (a listing entry does not name its client); forgets during the pass are
  // enforced at its end.
  const forgotten = await new ForgottenClients(engine, names).all();
  const seen = new Set<string>();
  const stillOpen = new Set(previous.openSessionIds);
  // Skipped as malformed last time: fetched again whatever their age, since the vendor may have fixed
  // them (or the fault was in transit). Ones still bad are skipped and recorded again.
  const retrySkipped = new Set(previous.skippedSessions.flatMap((skipped) => (skipped.sessionId === null ? [] : [skipped.sessionId])));
  /** Sessions the source answered "not found" for: they are removed from the index at the end. */
  const gone: string[] = [];
  let newestIndexed = previous.watermark ?? 0;
  /** Entries the listing yielded, readable or not: none at all is what a `--full` pass refuses to act on. */
  let listingEntries = 0;
  const failures: string[] = [];

  const writer = new IndexWriter(engine, names, {
    ...options.writer,
    onIndexed: (sessions: IndexedSession[]) => {
      for (const session of sessions) {
        if (session.inProgress) stillOpen.add(session.sessionId);
        else stillOpen.delete(session.sessionId);
        newestIndexed = Math.max(newestIndexed, session.createdAt);
      }
      summary.sessions += sessions.length;
      summary.turns += sessions.reduce((sum, session) => sum + session.turnCount, 0);
      options.onProgress?.(progressOf(summary));
    },
  });
  const loads = new PQueue({ concurrency: deps.concurrency * 2 });
  const signal = options.signal;
  // Loads queued but not started are dropped at once; the ones running finish and are written.
  const dropQueuedLoads = () => loads.clear();
  signal?.addEventListener('abort', dropQueuedLoads);

  const skip = (sessionId: string | null, reason: string) => {
    summary.skipped++;
    if (summary.skippedSessions.length < MAX_SKIPPED_RECORDED) summary.skippedSessions.push({ sessionId, reason });
    log.warn('session skipped', { source: source.name, sessionId, reason });
  };

  /** Loads, flattens and buffers one session; false when the source no longer has it. */
  const load = async (sessionId: string, loadSession: () => Promise<Session | undefined>, knownTurnCount?: number): Promise<boolean> => {
    try {
      const session = await loadSession();
      if (!session) {
        stillOpen.delete(sessionId);
        gone.push(sessionId);
        return false;
      }
      if (forgotten.covers(session)) {
        summary.refused++;
        stillOpen.delete(sessionId);
        return true;
      }
      const flat = flattenSession(session);
      await writer.add(flat, staleTurnsFilter(session.sessionId, knownTurnCount, flat.turns.length));
    } catch (error) {
      if (error instanceof InvalidRecordError) {
        skip(sessionId, error.message);
        stillOpen.delete(sessionId);
      } else {
        summary.failed++;
        if (failures.length < 20) failures.push(`${sessionId}: ${errorMessage(error)}`);
        log.warn('session failed', { source: source.name, sessionId, error: errorMessage(error) });
      }
    }
    return true;
  };

  const enqueueLoad = async (task: () => Promise<unknown>) => {
    await loads.onSizeLessThan(deps.concurrency * 4);
    signal?.throwIfAborted();
    void loads.add(task);
  };

  // Decides, a listing page at a time, which entries need loading: one engine query per page.
  const schedule = async (entries: ListedSession[]) => {
    const known = await knownSessions(engine, names, entries.map((entry) => entry.sessionId));
    for (const entry of entries) {
      const indexed = known.get(entry.sessionId);
      if (!reload && indexed && !indexed.inProgress && !entry.inProgress && !retrySkipped.has(entry.sessionId)) {
        summary.unchanged++;
        continue;
      }
      await enqueueLoad(async () => {
        if (!(await load(entry.sessionId, () => entry.load(), indexed?.turnCount))) summary.vanished++;
      });
    }
  };

  /**
   * Reads the listing once from its head, scheduling the sessions this run has not seen yet, and stops
   * after a long stretch of entries that are `stale`; returns how many sessions were new.
   */
  const walkListing = async (stale: (entry: ListedSession, isNew: boolean) => boolean, firstPass: boolean): Promise<number> => {
    let batch: ListedSession[] = [];
    let fresh = 0;
    let staleRun = 0;
    for await (const entry of source.list(listOptions)) {
      signal?.throwIfAborted();
      listingEntries++;
      if ('problem' in entry) {
        // Pages shift while they are read, so a record may come twice; report it once. A bad record
        // without an id cannot be told apart from its repeat: only the first pass reports those.
        if (entry.sessionId === undefined ? firstPass : !seen.has(entry.sessionId)) skip(entry.sessionId ?? null, entry.problem);
        // Listed, if unreadable: `--full` must not delete what is indexed of it.
        if (entry.sessionId !== undefined) seen.add(entry.sessionId);
        continue;
      }
      const isNew = !seen.has(entry.sessionId);
      if (isNew) {
        seen.add(entry.sessionId);
        fresh++;
        summary.listed++;
        if (full || entry.createdAt >= cutoff || entry.inProgress || stillOpen.has(entry.sessionId) || retrySkipped.has(entry.sessionId)) {
          batch.push(entry);
        }
        if (summary.listed % 1000 === 0) options.onProgress?.(progressOf(summary));
      }
      if (batch.length >= KNOWN_CHECK_BATCH) {
        await schedule(batch);
        batch = [];
      }
      staleRun = stale(entry, isNew) ? staleRun + 1 : 0;
      if (staleRun >= STOP_AFTER_STALE_ENTRIES) break;
    }
    await schedule(batch);
    return fresh;
  };

  try {
    // A pass queued behind one that was interrupted starts already stopped: not even one list page.
    signal?.throwIfAborted();
    await walkListing((entry) => entry.createdAt < cutoff, true);
    // Newest-first pages shift while they are read: sessions created meanwhile went in ahead of where
    // the walk was (the shift itself only repeats entries, which `seen` drops). Read the head again
    // until it shows nothing new, so this run ends with everything the source listed by its end.
    for (let round = 0; round < MAX_CATCH_UP_ROUNDS; round++) {
      if ((await walkListing((_entry, isNew) => !isNew, false)) === 0) break;
    }
    // Sessions still open, or skipped, last time that this run's listing window did not reach: fetch
    // them directly.
    for (const sessionId of [...previous.openSessionIds, ...retrySkipped]) {
      if (seen.has(sessionId)) continue;
      seen.add(sessionId);
      await enqueueLoad(async () => {
        if (!(await load(sessionId, () => source.loadById(sessionId)))) summary.vanished++;
      });
    }
    if (options.full) {
      // Indexed but not listed: deleted upstream, or skipped over when a deletion upstream shifted the
      // pages under the walk. Only the source can tell which, one session at a time.
      const unlisted = await indexedSessionsNotIn(engine, names, source.name, seen);
      // A listing with nothing in it, while the index holds the source's sessions, is far more likely a
      // key that lost its access (the agents API then answers an empty page, and 404 for every detail)
      // than a vendor that deleted everything: deleting on its word would empty the index.
      if (listingEntries === 0 && unlisted.length > 0) {
        throw new SourceError(
          `the source listed no sessions while the index holds ${unlisted.length} of them; a full pass deletes nothing on an empty listing (check the source's key and scope)`,
        );
      }
      for (const sessionId of unlisted) {
        await enqueueLoad(() => load(sessionId, () => source.loadById(sessionId)));
      }
    }
    await loads.onIdle();
    await writer.finish();
    signal?.throwIfAborted();
    await eraseClientsForgottenSince(engine, names, status.lastRunStartedAt!);
    summary.deleted = await deleteSessionsById(engine, names, gone);
    const upstream = await source.totals();
    if (upstream) {
      summary.totals = compareTotals(upstream, await indexedTotals(engine, names, source.name));
      if (summary.totals.mismatches.length > 0) {
        log.warn('indexed totals differ from the source', { source: source.name, mismatches: describeMismatches(summary.totals) });
      }
    }
  } catch (error) {
    await loads.onIdle();
    summary.error = errorMessage(error);
    if (error instanceof InterruptedError) {
      // Fetched is as good as indexed: write it, so the checkpoint below counts it.
      const flushed = writer.finish().then(
        () => 'indexed' as const,
        (finishError: unknown) => {
          log.warn('sync interrupted before its last batch was indexed', { source: source.name, error: errorMessage(finishError) });
          return 'failed' as const;
        },
      );
      const waited = new Promise<'late'>((resolve) => setTimeout(resolve, INTERRUPTED_FLUSH_MS, 'late').unref());
      if ((await Promise.race([flushed, waited])) === 'late') {
        log.warn('sync interrupted: checkpointing before its last batches were confirmed', { source: source.name });
      }
      log.info('sync interrupted', { source: source.name, sessions: summary.sessions });
    } else {
      log.error('sync failed', { source: source.name, error: summary.error });
    }
  } finally {
    signal?.removeEventListener('abort', dropQueuedLoads);
  }

  summary.requests = source.stats.requests;
  summary.retries = source.stats.retries;
  summary.durationMs = Date.now() - started;
  if (!summary.error && failures.length > 0) summary.error = `${summary.failed} sessions failed to load, e.g. ${failures[0]}`;
  const succeeded = summary.error === null;
  const finished = new Date().toISOString();
  await store.put({
    ...status,
    lastRunFinishedAt: finished,
    lastSuccessAt: succeeded ? finished : previous.lastSuccessAt,
    lastError: summary.error,
    watermark: succeeded ? newestIndexed : previous.watermark,
    openSessionIds: [...stillOpen],
    lastRun: {
      listed: summary.listed, sessions: summary.sessions, turns: summary.turns, unchanged: summary.unchanged,
      skipped: summary.skipped, failed: summary.failed, vanished: summary.vanished, deleted: summary.deleted, refused: summary.refused,
      requests: summary.requests, retries: summary.retries, durationMs: summary.durationMs,
    },
    skippedSessions: summary.skippedSessions,
    totals: summary.totals ?? previous.totals,
  });
  return summary;
}

function progressOf(summary: SyncSummary): SyncProgress {
  const { source, listed, sessions, turns, skipped, failed } = summary;
  return { source, listed, sessions, turns, skipped, failed };
}
