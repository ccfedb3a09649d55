import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import type { RedactionCounts } from '../redact/kinds.js';
import type { SyncCounts } from './sync-counts.js';
import { zeroTotals, type TotalsCheck } from './totals-check.js';

/*
 * Sync status and checkpoints, kept as documents in the engine beside the data they describe: they
 * survive restarts of this service, and a restored engine snapshot carries matching checkpoints.
 */

export type SkippedSession = { sessionId: string | null; reason: string };

export type SourceStatus = {
  id: string;
  kind: 'source';
  source: string;
  lastRunStartedAt: string | null;
  lastRunFinishedAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  /** Newest session creation time (Unix seconds) fully indexed by a completed run. */
  watermark: number | null;
  /** Sessions still in progress when last indexed; revisited until they close. */
  openSessionIds: string[];
  /** `redactions`: per kind, in the sessions the run wrote (absent in runs of older versions). */
  lastRun: (SyncCounts & { durationMs: number; redactions?: RedactionCounts }) | null;
  skippedSessions: SkippedSession[];
  /** The last comparison of the source's own totals with the index; `mismatches` empty when they agree. */
  totals: TotalsCheck | null;
};

/** Kept small: the status is one document and is read on every GET /v1/sync. */
export const MAX_SKIPPED_RECORDED = 500;

export class SyncStateStore {
  constructor(
    private readonly engine: EngineClient,
    private readonly names: IndexNames,
  ) {}

  async get(source: string): Promise<SourceStatus | undefined> {
    const stored = await this.engine.getDocument<Partial<SourceStatus>>(this.names.state, `source-${source}`);
    if (!stored) return undefined;
    // Written by an older version: fields added since take their defaults (a totals check made before
    // withheld sessions were counted withheld none).
    const status = { ...emptyStatus(source), ...stored };
    return status.totals ? { ...status, totals: { ...status.totals, withheld: status.totals.withheld ?? zeroTotals() } } : status;
  }

  /**
   * `wait: false` only queues the write: the engine applies an index's tasks in order, so a later
   * waited write still lands last, and a run need not wait for a status it only shows to observers.
   */
  async put(status: SourceStatus, options: { wait: boolean } = { wait: true }): Promise<void> {
    const task = await this.engine.addDocuments(this.names.state, [status]);
    if (options.wait) await this.engine.waitForTask(task);
  }
}

export function emptyStatus(source: string): SourceStatus {
  return {
    id: `source-${source}`,
    kind: 'source',
    source,
    lastRunStartedAt: null,
    lastRunFinishedAt: null,
    lastSuccessAt: null,
    lastError: null,
    watermark: null,
    openSessionIds: [],
    lastRun: null,
    skippedSessions: [],
    totals: null,
  };
}
