import PQueue from 'p-queue';
import { InterruptedError, SourceError, errorMessage } from '../errors.js';
import type { Session } from '../model.js';
import { addCounts, type RedactionCounts } from '../redact/kinds.js';
import { InvalidRecordError, type ListedSession, type ListOptions, type SessionSource } from '../sources/source.js';
import type { IndexedSession, IngestDeps } from './deps.js';
import { eraseClientsForgottenSince } from './forget-client.js';
import type { ForgottenSet } from './forgotten.js';
import { IndexWriter, knownSessions, type IndexWriterOptions } from './index-writer.js';
import { deleteSessionsById, indexedSessionsNotIn } from './reconcile.js';
import { retentionCutoff } from './retention.js';
import { countsOf, emptyCounts, type SyncCounts } from './sync-counts.js';
import { MAX_SKIPPED_RECORDED, emptyStatus, type SkippedSession, type SourceStatus } from './sync-state.js';
import { compareTotals, describeMismatches, indexedTotals, type TotalsCheck } from './totals-check.js';
import { withheldSession, withheldTotals, type WithheldSession } from './withheld.js';

/*
 * One sync pass of one source, as an object whose steps have names: `walkListing` reads the listing
 * (newest first) and `schedule`s the entries that need loading; `load` fetches, validates and hands a
 * session to the writer, which writes large batches while later entries are still being fetched, so
 * fetching hides behind indexing; `revisit` fetches sessions the listing window did not reach (still
 * open, or skipped last time); `reconcile` (`--full`) removes what the source no longer has;
 * `checkpoint` stores what the pass achieved. Features hook in through `deps.hooks` (before a session
 * is written, after a batch is searchable), which the writer calls.
 *
 * Incremental passes list from the watermark less an overlap (passed to sources that filter by time,
 * and the walk stops once a whole page is older), then revisit the sessions that were still in
 * progress. The watermark only advances after a pass in which everything was indexed, so a crash or a
 * failed pass is simply redone by the next one: documents are keyed by session id and turn index, so
 * redoing never duplicates. Sessions the source answers "not found" for are removed from the index.
 * At the end the source's own totals are compared with what the index holds for it, plus the sessions
 * withheld because their client is forgotten (withheld.ts), which the pass keeps up to date: it adds
 * those it refuses, and fetches again, and no longer counts, those of clients re-enabled since.
 *
 * When `signal` aborts, the pass stops between sessions: nothing new is listed or fetched, what was
 * already fetched is written and waited for, and the checkpoint is saved as for a failed pass, so it
 * reflects exactly what is indexed and the next pass fetches the rest.
 */

export type SyncOptions = {
  /** List everything, reload everything, and delete indexed sessions the source no longer has. */
  full?: boolean;
  writer?: IndexWriterOptions;
  /** Called with progress counts, for a TTY progress line and metrics. */
  onProgress?: (progress: SyncProgress) => void;
  /** Stops the pass early (shutdown); its reason, an InterruptedError, becomes the run's error. */
  signal?: AbortSignal;
};

/** `redactions`: per kind, in the sessions written so far. */
export type SyncProgress = SyncCounts & { source: string; redactions: RedactionCounts };

export type SyncSummary = SyncCounts & {
  source: string;
  redactions: RedactionCounts;
  durationMs: number;
  error: string | null;
  skippedSessions: SkippedSession[];
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

export class SyncPass {
  readonly #deps: IngestDeps;
  readonly #source: SessionSource;
  readonly #options: SyncOptions;
  /** Loads in flight at once: twice the source's concurrency, so fetching keeps the source busy. */
  readonly #loads: PQueue;
  readonly #loadConcurrency: number;
  readonly #writer: IndexWriter;
  readonly #counts: SyncCounts = emptyCounts();
  readonly #redactions: RedactionCounts = {};
  /** RETENTION_DAYS: sessions created before this (Unix seconds) are not fetched; -Infinity keeps all. */
  #expiredBefore = -Infinity;
  readonly #skippedSessions: SkippedSession[] = [];
  /** Session ids this pass has listed (or loaded by id): each is scheduled once. */
  readonly #seen = new Set<string>();
  /** Sessions in progress when last indexed; revisited until they close. */
  #stillOpen = new Set<string>();
  /** Skipped as malformed last time: fetched again whatever their age, since the vendor may have fixed them. */
  #retrySkipped = new Set<string>();
  /** Sessions the source answered "not found" for: removed from the index at the end. */
  readonly #gone: string[] = [];
  readonly #failures: string[] = [];
  #listingEntries = 0;
  #newestIndexed = 0;
  #previous: SourceStatus;
  #status: SourceStatus;
  #forgotten: ForgottenSet | undefined;
  /** Withheld sessions as stored at the start, and what this pass changes of them (saved once it succeeds). */
  #withheld = new Map<string, WithheldSession>();
  /** Withheld, but their client has been re-enabled since: fetched again whatever their age. */
  #reenabled = new Set<string>();
  readonly #withheldChanges = { add: new Map<string, WithheldSession>(), remove: new Set<string>() };
  #totals: TotalsCheck | null = null;
  #started = 0;

  constructor(deps: IngestDeps, source: SessionSource, options: SyncOptions & { concurrency: number }) {
    this.#deps = deps;
    this.#source = source;
    this.#options = options;
    this.#loadConcurrency = options.concurrency;
    this.#loads = new PQueue({ concurrency: options.concurrency * 2 });
    this.#previous = emptyStatus(source.name);
    this.#status = this.#previous;
    this.#writer = new IndexWriter(deps, { ...options.writer, onIndexed: (sessions, redactions) => this.#onIndexed(sessions, redactions) });
  }

  /** Without a watermark (first run, or every run so far interrupted) the whole listing is walked. */
  get #walksEverything(): boolean {
    return this.#options.full === true || this.#previous.watermark === null;
  }

  /** Sessions created before this are not wanted from the listing (incremental passes). */
  get #cutoff(): number {
    return this.#walksEverything ? -Infinity : this.#previous.watermark! - WATERMARK_OVERLAP_SECONDS;
  }

  async run(): Promise<SyncSummary> {
    const signal = this.#options.signal;
    // Loads queued but not started are dropped at once; the ones running finish and are written.
    const dropQueuedLoads = () => this.#loads.clear();
    signal?.addEventListener('abort', dropQueuedLoads);
    let error: string | null = null;
    try {
      await this.#begin();
      // A pass queued behind one that was interrupted starts already stopped: not even one list page.
      signal?.throwIfAborted();
      await this.walkListing();
      await this.revisit();
      if (this.#options.full) await this.reconcile();
      await this.#loads.onIdle();
      await this.#writer.finish();
      signal?.throwIfAborted();
      await this.#afterWriting();
    } catch (caught) {
      error = await this.#stopAfter(caught);
    } finally {
      signal?.removeEventListener('abort', dropQueuedLoads);
    }
    return this.checkpoint(error);
  }

  async #begin(): Promise<void> {
    this.#started = Date.now();
    this.#expiredBefore = retentionCutoff(this.#deps.retentionDays, this.#started);
    this.#previous = (await this.#deps.checkpoints.get(this.#source.name)) ?? emptyStatus(this.#source.name);
    this.#status = { ...this.#previous, lastRunStartedAt: new Date(this.#started).toISOString() };
    await this.#deps.checkpoints.put(this.#status, { wait: false });
    this.#newestIndexed = this.#previous.watermark ?? 0;
    this.#stillOpen = new Set(this.#previous.openSessionIds);
    this.#retrySkipped = new Set(this.#previous.skippedSessions.flatMap((skipped) => (skipped.sessionId === null ? [] : [skipped.sessionId])));
    // Read once per pass (a listing entry does not name its client); forgets during the pass are
    // enforced at its end.
    const forgotten = await this.#deps.forgotten.all();
    this.#forgotten = forgotten;
    this.#withheld = await this.#deps.withheld.get(this.#source.name);
    this.#reenabled = new Set([...this.#withheld].filter(([, owner]) => !forgotten.covers(owner)).map(([sessionId]) => sessionId));
  }

  /**
   * Reads the listing from its head, then again until a read shows nothing new: newest-first pages
   * shift while they are read, so sessions created meanwhile went in ahead of where the walk was (the
   * shift itself only repeats entries, which `seen` drops). The pass ends with everything the source
   * listed by its end.
   */
  async walkListing(): Promise<void> {
    const listOptions: ListOptions = this.#walksEverything ? {} : { since: this.#cutoff };
    // Past retention is stale too: the listing is newest first, so what follows is older still.
    await this.#readListing(listOptions, (entry) => entry.createdAt < this.#cutoff || entry.createdAt < this.#expiredBefore, true);
    for (let round = 0; round < MAX_CATCH_UP_ROUNDS; round++) {
      if ((await this.#readListing(listOptions, (_entry, isNew) => !isNew, false)) === 0) break;
    }
  }

  /**
   * One read of the listing from its head, scheduling the sessions this pass has not seen yet; stops
   * after a long stretch of entries that are `stale`. Returns how many sessions were new.
   */
  async #readListing(listOptions: ListOptions, stale: (entry: ListedSession, isNew: boolean) => boolean, firstRead: boolean): Promise<number> {
    let batch: ListedSession[] = [];
    let fresh = 0;
    let staleRun = 0;
    for await (const entry of this.#source.list(listOptions)) {
      this.#options.signal?.throwIfAborted();
      this.#listingEntries++;
      if ('problem' in entry) {
        // Pages shift while they are read, so a record may come twice; report it once. A bad record
        // without an id cannot be told apart from its repeat: only the first read reports those.
        if (entry.sessionId === undefined ? firstRead : !this.#seen.has(entry.sessionId)) this.#skip(entry.sessionId ?? null, entry.problem);
        // Listed, if unreadable: `--full` must not delete what is indexed of it.
        if (entry.sessionId !== undefined) this.#seen.add(entry.sessionId);
        continue;
      }
      const isNew = !this.#seen.has(entry.sessionId);
      if (isNew) {
        this.#seen.add(entry.sessionId);
        fresh++;
        this.#counts.listed++;
        if (entry.createdAt < this.#expiredBefore) this.#counts.expired++;
        else if (this.#wanted(entry)) batch.push(entry);
        if (this.#counts.listed % 1000 === 0) this.#progress();
      }
      if (batch.length >= KNOWN_CHECK_BATCH) {
        await this.schedule(batch);
        batch = [];
      }
      staleRun = stale(entry, isNew) ? staleRun + 1 : 0;
      if (staleRun >= STOP_AFTER_STALE_ENTRIES) break;
    }
    await this.schedule(batch);
    return fresh;
  }

  #wanted(entry: ListedSession): boolean {
    return (
      this.#walksEverything ||
      entry.createdAt >= this.#cutoff ||
      entry.inProgress ||
      this.#stillOpen.has(entry.sessionId) ||
      this.#retrySkipped.has(entry.sessionId) ||
      this.#reenabled.has(entry.sessionId)
    );
  }

  /** Decides, a listing page at a time, which entries need loading: one engine query per page. */
  async schedule(entries: ListedSession[]): Promise<void> {
    const known = await knownSessions(this.#deps, entries.map((entry) => entry.sessionId));
    for (const entry of entries) {
      const indexed = known.get(entry.sessionId);
      // Only `--full` reloads what is indexed and closed, so an interrupted first sync resumes.
      if (!this.#options.full && indexed && !indexed.inProgress && !entry.inProgress && !this.#retrySkipped.has(entry.sessionId)) {
        this.#counts.unchanged++;
        continue;
      }
      await this.#enqueueLoad(async () => {
        if (!(await this.load(entry.sessionId, () => entry.load(), indexed?.turnCount))) this.#counts.vanished++;
      });
    }
  }

  /**
   * Sessions still open, or skipped, last time that this pass's listing did not reach, and withheld
   * ones whose client has been re-enabled since: fetched directly.
   */
  async revisit(): Promise<void> {
    for (const sessionId of [...this.#previous.openSessionIds, ...this.#retrySkipped, ...this.#reenabled]) {
      if (this.#seen.has(sessionId)) continue;
      this.#seen.add(sessionId);
      await this.#enqueueLoad(async () => {
        if (!(await this.load(sessionId, () => this.#source.loadById(sessionId)))) this.#counts.vanished++;
      });
    }
  }

  /**
   * `--full`: indexed but not listed means deleted upstream, or skipped over when a deletion upstream
   * shifted the pages under the walk. Only the source can tell which, one session at a time.
   */
  async reconcile(): Promise<void> {
    const unlisted = await indexedSessionsNotIn(this.#deps.engine, this.#deps.names, this.#source.name, this.#seen);
    // A listing with nothing in it, while the index holds the source's sessions, is far more likely a
    // key that lost its access (the agents API then answers an empty page, and 404 for every detail)
    // than a vendor that deleted everything: deleting on its word would empty the index.
    if (this.#listingEntries === 0 && unlisted.length > 0) {
      throw new SourceError(
        `the source listed no sessions while the index holds ${unlisted.length} of them; a full pass deletes nothing on an empty listing (check the source's key and scope)`,
      );
    }
    for (const sessionId of unlisted) await this.#enqueueLoad(() => this.load(sessionId, () => this.#source.loadById(sessionId)));
  }

  /** Loads one session and hands it to the writer; false when the source no longer has it. */
  async load(sessionId: string, loadSession: () => Promise<Session | undefined>, knownTurnCount?: number): Promise<boolean> {
    try {
      const session = await loadSession();
      if (!session) {
        this.#stillOpen.delete(sessionId);
        this.#gone.push(sessionId);
        this.#release(sessionId);
        return false;
      }
      if (session.createdAt < this.#expiredBefore) {
        // Revisited by id (open, or skipped, last time) and past retention by now: not brought back.
        this.#counts.expired++;
        this.#stillOpen.delete(sessionId);
        this.#release(sessionId);
        return true;
      }
      if (this.#forgotten!.covers(session)) {
        this.#counts.refused++;
        this.#stillOpen.delete(sessionId);
        this.#withheldChanges.remove.delete(sessionId);
        this.#withheldChanges.add.set(sessionId, withheldSession(session));
        return true;
      }
      await this.#writer.add(session, knownTurnCount);
      this.#release(sessionId);
    } catch (error) {
      if (error instanceof InvalidRecordError) {
        this.#skip(sessionId, error.message);
        this.#stillOpen.delete(sessionId);
      } else {
        this.#counts.failed++;
        // A vendor's error may quote what it was sent or holds: kept and logged only redacted.
        const message = this.#deps.redactor.redact(errorMessage(error));
        if (this.#failures.length < 20) this.#failures.push(`${sessionId}: ${message}`);
        this.#deps.log.warn('session failed', { source: this.#source.name, sessionId, error: message });
      }
    }
    return true;
  }

  async #enqueueLoad(task: () => Promise<unknown>): Promise<void> {
    await this.#loads.onSizeLessThan(this.#loadConcurrency * 4);
    this.#options.signal?.throwIfAborted();
    void this.#loads.add(task);
  }

  #onIndexed(sessions: IndexedSession[], redactions: RedactionCounts): void {
    addCounts(this.#redactions, redactions);
    for (const session of sessions) {
      if (session.inProgress) this.#stillOpen.add(session.sessionId);
      else this.#stillOpen.delete(session.sessionId);
      this.#newestIndexed = Math.max(this.#newestIndexed, session.createdAt);
      this.#counts.turns += session.turnCount;
    }
    this.#counts.sessions += sessions.length;
    this.#progress();
  }

  /** No longer withheld: written, or gone from the source. */
  #release(sessionId: string): void {
    this.#withheldChanges.add.delete(sessionId);
    if (this.#withheld.has(sessionId)) this.#withheldChanges.remove.add(sessionId);
  }

  /** Once everything is written: forgets made meanwhile, sessions gone upstream, and the totals check. */
  async #afterWriting(): Promise<void> {
    const { engine, names, log } = this.#deps;
    await eraseClientsForgottenSince(this.#deps, this.#status.lastRunStartedAt!);
    this.#counts.deleted = await deleteSessionsById(engine, names, this.#gone);
    // A complete listing that no longer names a withheld session: the source deleted it.
    if (this.#options.full) for (const sessionId of this.#withheld.keys()) if (!this.#seen.has(sessionId)) this.#release(sessionId);
    const withheld = await this.#deps.withheld.update(this.#source.name, this.#withheldChanges);
    // The vendor's totals count the sessions past retention, which the index no longer holds by design.
    const upstream = this.#deps.retentionDays === null ? await this.#source.totals() : undefined;
    if (upstream) {
      // Read again: a client forgotten during the pass is withheld by now (its forget recorded what it deleted).
      const forgotten = await this.#deps.forgotten.all();
      this.#totals = compareTotals(upstream, await indexedTotals(engine, names, this.#source.name), withheldTotals(withheld, forgotten));
      if (this.#totals.mismatches.length > 0) {
        log.warn('indexed totals differ from the source', { source: this.#source.name, mismatches: describeMismatches(this.#totals) });
      }
    }
  }

  /** The pass stopped on an error: what it fetched is written when it was interrupted on purpose. */
  async #stopAfter(caught: unknown): Promise<string> {
    const { log } = this.#deps;
    await this.#loads.onIdle();
    const message = this.#deps.redactor.redact(errorMessage(caught));
    if (!(caught instanceof InterruptedError)) {
      log.error('sync failed', { source: this.#source.name, error: message });
      return message;
    }
    // Fetched is as good as indexed: write it, so the checkpoint counts it.
    const flushed = this.#writer.finish().then(
      () => 'indexed' as const,
      (finishError: unknown) => {
        log.warn('sync interrupted before its last batch was indexed', { source: this.#source.name, error: errorMessage(finishError) });
        return 'failed' as const;
      },
    );
    const waited = new Promise<'late'>((resolve) => setTimeout(resolve, INTERRUPTED_FLUSH_MS, 'late').unref());
    if ((await Promise.race([flushed, waited])) === 'late') {
      log.warn('sync interrupted: checkpointing before its last batches were confirmed', { source: this.#source.name });
    }
    log.info('sync interrupted', { source: this.#source.name, sessions: this.#counts.sessions });
    return message;
  }

  /** Stores what the pass achieved; the watermark only moves when it indexed everything it listed. */
  async checkpoint(stoppedBy: string | null): Promise<SyncSummary> {
    this.#counts.requests = this.#source.stats.requests;
    this.#counts.retries = this.#source.stats.retries;
    const durationMs = Date.now() - this.#started;
    const error = stoppedBy ?? (this.#failures.length > 0 ? `${this.#counts.failed} sessions failed to load, e.g. ${this.#failures[0]}` : null);
    const succeeded = error === null;
    const finished = new Date().toISOString();
    await this.#deps.checkpoints.put({
      ...this.#status,
      lastRunFinishedAt: finished,
      lastSuccessAt: succeeded ? finished : this.#previous.lastSuccessAt,
      lastError: error,
      watermark: succeeded ? this.#newestIndexed : this.#previous.watermark,
      openSessionIds: [...this.#stillOpen],
      lastRun: { ...countsOf(this.#counts), durationMs, redactions: { ...this.#redactions } },
      skippedSessions: this.#skippedSessions,
      totals: this.#totals ?? this.#previous.totals,
    });
    return {
      ...countsOf(this.#counts),
      source: this.#source.name,
      redactions: { ...this.#redactions },
      durationMs,
      error,
      skippedSessions: this.#skippedSessions,
      totals: this.#totals,
    };
  }

  #skip(sessionId: string | null, problem: string): void {
    // Schema messages name fields, but a vendor's answer quoted in one may carry what was said.
    const reason = this.#deps.redactor.redact(problem);
    this.#counts.skipped++;
    if (this.#skippedSessions.length < MAX_SKIPPED_RECORDED) this.#skippedSessions.push({ sessionId, reason });
    this.#deps.log.warn('session skipped', { source: this.#source.name, sessionId, reason });
  }

  #progress(): void {
    this.#options.onProgress?.({ ...countsOf(this.#counts), source: this.#source.name, redactions: { ...this.#redactions } });
  }
}
