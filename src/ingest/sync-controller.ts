import type { SourceName } from '../sources/registry.js';
import { describeHolder, type Leases, type LeaseView } from '../engine/lease.js';
import { InterruptedError, errorMessage } from '../errors.js';
import type { RedactionCounts } from '../redact/kinds.js';
import { retentionStatus, sweepExpired, type RetentionRemoved } from './retention.js';
import { emptyCounts, type SyncCounts } from './sync-counts.js';
import type { SessionSource } from '../sources/source.js';
import type { IngestDeps } from './deps.js';
import { SyncPass, type SyncOptions, type SyncSummary } from './sync-pass.js';
import { emptyStatus } from './sync-state.js';

/*
 * Runs syncs for `serve`, `sync` and `POST /v1/sync`: never two of one source at once. A request for
 * a source already syncing joins the running pass, except that a full pass asked for during an
 * incremental one is queued to start when it ends (joining would silently drop the reconciliation).
 * `stop()` interrupts running passes between sessions, so they checkpoint what they indexed.

 *
 * Across processes (`serve` replicas, a `sync` from the CLI), a pass runs only under the source's
 * lease (engine/lease.ts): a process that finds it held either waits for it (`waitForLeaseMs`, the
 * CLI) or skips the source this time (`serve`), and the summary says who holds it. A pass whose lease
 * is lost is interrupted like one at shutdown.
 *
 * With RETENTION_DAYS set, every pass starts with a retention sweep (retention.ts), shared by the
 * passes that start together, and run by one process at a time (its own lease).
 */

/** Who watches passes (metrics.ts): told of each pass's progress and how it ended, and of what retention removed. */
export type SyncObserver = {
  syncPass(source: string): {
    progress(totals: Partial<SyncCounts> & { redactions?: RedactionCounts }): void;
    finished(result: 'success' | 'error' | 'interrupted'): void;
  };
  retentionSwept(removed: RetentionRemoved): void;
};

/** The lease of the retention sweep: beside the sources' leases, under a name no source has. */
const RETENTION_LEASE = 'retention';

export type SourceFactory = { name: SourceName; create(): SessionSource };

type Pass = { done: Promise<SyncSummary>; full: boolean };

/** A pass not run because another process holds the source's lease (`heldBy` null: it was being claimed by several at once). */
export type HeldElsewhere = SyncSummary & { heldBy: LeaseView | null };

export type RunOptions = SyncOptions & {
  source?: SourceName;
  /** How long to wait for a source's lease held by another process; 0 (the default) skips the source at once. */
  waitForLeaseMs?: number;
};

export class SyncController {
  readonly #running = new Map<SourceName, Pass>();
  readonly #queuedFull = new Map<SourceName, Promise<SyncSummary>>();
  #timer: NodeJS.Timeout | undefined;
  readonly #stopping = new AbortController();
  /** The retention sweep under way, which passes starting meanwhile wait for instead of sweeping again. */
  #sweeping: Promise<void> | undefined;

  constructor(
    private readonly deps: IngestDeps & {
      sources: SourceFactory[];
      /** Requests in flight per source (SOURCE_CONCURRENCY). */
      concurrency: number;
      metrics?: SyncObserver;
      /** Where processes sharing the engine take turns (runtime.ts); without it this process syncs as if alone. */
      leases?: Leases;
    },
  ) {}

  get sourceNames(): SourceName[] {
    return this.deps.sources.map((source) => source.name);
  }

  isRunning(source: SourceName): boolean {
    return this.#running.has(source);
  }

  run(options: RunOptions = {}): Promise<SyncSummary[]> {
    const selected = this.deps.sources.filter((factory) => !options.source || factory.name === options.source);
    return Promise.all(selected.map((factory) => this.#runOne(factory, options)));
  }

  #runOne(factory: SourceFactory, options: RunOptions): Promise<SyncSummary> {
    const running = this.#running.get(factory.name);
    if (!running) return this.#start(factory, options);
    if (!options.full || running.full) return running.done;
    let queued = this.#queuedFull.get(factory.name);
    if (!queued) {
      // Runs right after the pass it waits for: its `finally` frees the slot before this continues.
      queued = running.done
        .catch(() => undefined)
        .then(() => {
          this.#queuedFull.delete(factory.name);
          return this.#runOne(factory, options);
        });
      this.#queuedFull.set(factory.name, queued);
    }
    return queued;
  }

  #start(factory: SourceFactory, options: RunOptions): Promise<SyncSummary> {
    const done = (async () => {
      const lease = this.deps.leases?.lease(factory.name);
      try {
        if (!lease) return await this.#pass(factory, options, this.#stopping.signal);
        const { log, engine, names } = this.deps;
        const claim = await lease.acquire(options.waitForLeaseMs ?? 0, (heldBy) =>
          log.info('waiting for the sync lease of the source', { source: factory.name, lease: describeHolder(heldBy) }),
        );
        if (!claim.acquired) {
          log.info('sync skipped: another process is syncing the source', { source: factory.name, lease: describeHolder(claim.heldBy) });
          return heldElsewhere(factory.name, claim.heldBy);
        }
        // What the previous holder queued before it stopped or died: once that is indexed, what it
        // wrote is known to this pass and not fetched or written again.
        await engine.drainTasks([names.turns, names.sessions, names.state]);
        return await this.#pass(factory, options, AbortSignal.any([this.#stopping.signal, claim.signal]));
      } finally {
        await lease?.release();
        this.#running.delete(factory.name);
      }
    })();
    this.#running.set(factory.name, { done, full: options.full === true });
    return done;
  }

  /** One pass, stopped by `signal` (shutdown, or a lost lease) between sessions. */
  async #pass(factory: SourceFactory, options: RunOptions, signal: AbortSignal): Promise<SyncSummary> {
    const source = factory.create();
    const metrics = this.deps.metrics?.syncPass(factory.name);
    try {
      await this.#sweep();
      this.deps.log.info('sync started', { source: factory.name, full: options.full === true });
      const summary = await new SyncPass(this.deps, source, {
        ...options,
        concurrency: this.deps.concurrency,
        signal,
        onProgress: (progress) => {
          metrics?.progress(progress);
          options.onProgress?.(progress);
        },
      }).run();
      metrics?.progress(summary);
      metrics?.finished(summary.error === null ? 'success' : signal.aborted ? 'interrupted' : 'error');
      this.deps.log.info('sync finished', {
        source: factory.name, sessions: summary.sessions, turns: summary.turns, skipped: summary.skipped,
        failed: summary.failed, durationMs: summary.durationMs, error: summary.error,
      });
      return summary;
    } catch (error) {
      metrics?.finished('error');
      throw error;
    } finally {
      await source.close();
    }
  }

  #sweep(): Promise<void> {
    if (this.deps.retentionDays === null) return Promise.resolve();
    this.#sweeping ??= this.#sweepUnderLease()
      .finally(() => {
        this.#sweeping = undefined;
      });
    return this.#sweeping;
  }

  /**
   * Another process sweeping now removes what this one would: its pass goes on without waiting, as
   * passes skip listing entries past the cutoff anyway.
   */
  async #sweepUnderLease(): Promise<void> {
    const lease = this.deps.leases?.lease(RETENTION_LEASE);
    const claim = await lease?.tryAcquire();
    if (claim && !claim.acquired) {
      this.deps.log.debug('retention sweep left to another process', { lease: describeHolder(claim.heldBy) });
      return;
    }
    try {
      const status = await sweepExpired(this.deps);
      if (status) this.deps.metrics?.retentionSwept(status.lastSweep);
    } finally {
      await lease?.release();
    }
  }

  /** Starts a pass now and every `intervalSeconds` after; a failure is logged and the next pass retries. */
  startPeriodic(intervalSeconds: number): void {
    if (intervalSeconds <= 0 || this.deps.sources.length === 0) return;
    const tick = () => {
      this.run().catch((error) => this.deps.log.error('periodic sync failed', { error: errorMessage(error) }));
    };
    tick();
    this.#timer = setInterval(tick, intervalSeconds * 1000);
    this.#timer.unref();
  }

  /**
   * Stops scheduling, interrupts passes in flight (they write what they fetched and checkpoint), and
   * waits for them; a full pass queued behind one starts and stops at once.
   */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#stopping.abort(new InterruptedError('Interrupted: the service is stopping; the next sync fetches the rest'));
    while (this.#running.size > 0 || this.#queuedFull.size > 0) {
      await Promise.allSettled([...[...this.#running.values()].map((pass) => pass.done), ...this.#queuedFull.values()]);
    }
  }

  /** Whether a source is in its first pass: what the index holds of it so far is not all there is. */
  async indexing(): Promise<boolean> {
    for (const name of this.#running.keys()) {
      if (!(await this.deps.checkpoints.get(name))?.lastRunFinishedAt) return true;
    }
    return false;
  }

  async status() {
    const sources = [];
    for (const name of this.sourceNames) {
      const status = (await this.deps.checkpoints.get(name)) ?? emptyStatus(name);
      const lease = (await this.deps.leases?.lease(name).current()) ?? null;
      sources.push({ ...status, running: this.isRunning(name), fullQueued: this.#queuedFull.has(name), lease });
    }
    const retention = await retentionStatus(this.deps);
    if (!retention) return { sources, retention: null };
    const { id: _id, kind: _kind, ...shown } = retention;
    return { sources, retention: shown };
  }

  /** The source's lease when another process holds it: a pass asked for now would not run here. */
  async heldElsewhere(source: SourceName): Promise<LeaseView | null> {
    const lease = (await this.deps.leases?.lease(source).current()) ?? null;
    return lease && !lease.thisProcess ? lease : null;
  }
}

function heldElsewhere(source: string, heldBy: LeaseView | null): HeldElsewhere {
  return {
    ...emptyCounts(),
    source,
    durationMs: 0,
    error: `Not synced here: the source's sync is ${describeHolder(heldBy)}`,
    skippedSessions: [],
    totals: null,
    redactions: {},
    heldBy,
  };
}
