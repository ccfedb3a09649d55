import PQueue from 'p-queue';
import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { anyOf, quote } from '../search/filter.js';
import { InvalidRecordError, type ListedSession, type SessionSource } from '../sources/source.js';
import type { Session } from '../model.js';
import { flattenSession, type SessionDocument } from './flatten.js';
import { IndexWriter, knownSessions, staleTurnsFilter, type IndexWriterOptions } from './index-writer.js';
import { MAX_SKIPPED_RECORDED, SyncStateStore, emptyStatus, type SkippedSession, type SourceStatus } from './sync-state.js';

/**
 * One sync pass of one source. The listing is walked newest first; each entry is loaded (fetched and
 * validated) unless the index already holds it closed, flattened, and written in large batches while
 * later entries are still being fetched, so fetching hides behind indexing.
 *
 * Incremental runs stop listing once a whole page is older than the watermark less an overlap, then
 * revisit the sessions that were still in progress. The watermark only advances after a run in which
 * everything was indexed, so a crash or a failed run is simply redone by the next one: documents are
 * keyed by session id and turn index, so redoing never duplicates.
 */
export type SyncOptions = {
  /** List everything, reload everything, and delete indexed sessions the source no longer lists. */
  full?: boolean;
  writer?: IndexWriterOptions;
  /** Called with progress counts, for a TTY progress line. */
  onProgress?: (progress: SyncProgress) => void;
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
};

/** Sessions may appear in the listing late (vendor lag): incremental runs look this far back. */
export const WATERMARK_OVERLAP_SECONDS = 6 * 3600;
const KNOWN_CHECK_BATCH = 100;
/** More than a vendor page of entries older than the window: the rest of the listing is older still. */
const STOP_AFTER_OLD_ENTRIES = 250;

export async function syncSource(
  deps: { engine: EngineClient; names: IndexNames; source: SessionSource; log: Logger; concurrency: number },
  options: SyncOptions = {},
): Promise<SyncSummary> {
  const { engine, names, source, log } = deps;
  const started = Date.now();
  const store = new SyncStateStore(engine, names);
  const previous = (await store.get(source.name)) ?? emptyStatus(source.name);
  const full = options.full === true || previous.watermark === null;
  const cutoff = full ? -Infinity : previous.watermark! - WATERMARK_OVERLAP_SECONDS;
  const status: SourceStatus = { ...previous, lastRunStartedAt: new Date(started).toISOString() };
  await store.put(status);

  const summary: SyncSummary = {
    source: source.name, listed: 0, sessions: 0, turns: 0, unchanged: 0, skipped: 0, failed: 0,
    vanished: 0, deleted: 0, requests: 0, retries: 0, durationMs: 0, error: null, skippedSessions: [],
  };
  const seen = new Set<string>();
  const stillOpen = new Set(previous.openSessionIds);
  let newestIndexed = previous.watermark ?? 0;
  const failures: string[] = [];

  const writer = new IndexWriter(engine, names, {
    ...options.writer,
    onIndexed: (sessions: SessionDocument[]) => {
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

  const skip = (sessionId: string | null, reason: string) => {
    summary.skipped++;
    if (summary.skippedSessions.length < MAX_SKIPPED_RECORDED) summary.skippedSessions.push({ sessionId, reason });
    log.warn('session skipped', { source: source.name, sessionId, reason });
  };

  const load = async (sessionId: string, loadSession: () => Promise<Session | undefined>, knownTurnCount?: number) => {
    try {
      const session = await loadSession();
      if (!session) {
        summary.vanished++;
        stillOpen.delete(sessionId);
        return;
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
  };

  // Decides, a listing page at a time, which entries need loading: one engine query per page.
  const schedule = async (entries: ListedSession[]) => {
    const known = await knownSessions(engine, names, entries.map((entry) => entry.sessionId));
    for (const entry of entries) {
      const indexed = known.get(entry.sessionId);
      if (!full && indexed && !indexed.inProgress && !entry.inProgress) {
        summary.unchanged++;
        continue;
      }
      await loads.onSizeLessThan(deps.concurrency * 4);
      void loads.add(() => load(entry.sessionId, () => entry.load(), indexed?.turnCount));
    }
  };

  try {
    let batch: ListedSession[] = [];
    let consecutiveOld = 0;
    for await (const entry of source.list()) {
      if ('problem' in entry) {
        skip(entry.sessionId ?? null, entry.problem);
        continue;
      }
      summary.listed++;
      consecutiveOld = entry.createdAt < cutoff ? consecutiveOld + 1 : 0;
      if (!seen.has(entry.sessionId)) {
        seen.add(entry.sessionId);
        if (full || entry.createdAt >= cutoff || entry.inProgress || stillOpen.has(entry.sessionId)) batch.push(entry);
      }
      if (batch.length >= KNOWN_CHECK_BATCH) {
        await schedule(batch);
        batch = [];
      }
      if (consecutiveOld >= STOP_AFTER_OLD_ENTRIES) break;
      if (summary.listed % 1000 === 0) options.onProgress?.(progressOf(summary));
    }
    await schedule(batch);
    // Sessions still open last time and older than this run's listing window: fetch them directly.
    for (const sessionId of previous.openSessionIds) {
      if (seen.has(sessionId)) continue;
      seen.add(sessionId);
      await loads.onSizeLessThan(deps.concurrency * 4);
      void loads.add(() => load(sessionId, () => source.loadById(sessionId), undefined));
    }
    await loads.onIdle();
    await writer.finish();
    if (options.full && summary.failed === 0) summary.deleted = await deleteUnlisted(engine, names, source.name, seen);
  } catch (error) {
    await loads.onIdle();
    summary.error = errorMessage(error);
    log.error('sync failed', { source: source.name, error: summary.error });
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
      skipped: summary.skipped, failed: summary.failed, vanished: summary.vanished, deleted: summary.deleted,
      requests: summary.requests, retries: summary.retries, durationMs: summary.durationMs,
    },
    skippedSessions: summary.skippedSessions,
  });
  return summary;
}

function progressOf(summary: SyncSummary): SyncProgress {
  const { source, listed, sessions, turns, skipped, failed } = summary;
  return { source, listed, sessions, turns, skipped, failed };
}

/** After a complete listing: removes this source's sessions (and their turns) that it no longer lists. */
async function deleteUnlisted(engine: EngineClient, names: IndexNames, source: string, listed: Set<string>): Promise<number> {
  const gone: string[] = [];
  const pageSize = 10_000;
  for (let offset = 0; ; offset += pageSize) {
    const { results, total } = await engine.fetchDocuments<{ sessionId: string }>(names.sessions, {
      filter: `source = ${quote(source)}`,
      fields: ['sessionId'],
      limit: pageSize,
      offset,
    });
    for (const doc of results) if (!listed.has(doc.sessionId)) gone.push(doc.sessionId);
    if (offset + pageSize >= total) break;
  }
  for (let i = 0; i < gone.length; i += 500) {
    const ids = gone.slice(i, i + 500);
    await engine.waitForTasks([
      await engine.deleteDocumentsByFilter(names.turns, anyOf('sessionId', ids)),
      await engine.deleteDocumentsByFilter(names.sessions, anyOf('sessionId', ids)),
    ]);
  }
  return gone.length;
}
