/**
 * What a sync pass counts, declared once: the pass's summary, the stored status of its last run, the
 * CLI's summary line, metrics and progress all read these names.
 */
export const SYNC_COUNTS = [
  /** Sessions the listing named (each once). */
  'listed',
  /** Sessions written and searchable. */
  'sessions',
  /** Their turns. */
  'turns',
  /** Listed sessions already indexed, closed, and left as they are. */
  'unchanged',
  /** Sessions skipped as malformed (recorded with the reason). */
  'skipped',
  /** Sessions that could not be loaded from the source (retried by the next pass). */
  'failed',
  /** Sessions listed, then gone when loaded. */
  'vanished',
  /** Indexed sessions removed because the source no longer has them. */
  'deleted',
  /** Sessions not written because their client is forgotten. */
  'refused',
  /** Listed sessions created before RETENTION_DAYS' cutoff: neither fetched nor written. */
  'expired',
  /** Requests to the source. */
  'requests',
  /** Requests to the source that were retried (5xx, 429, network errors). */
  'retries',
] as const;

export type SyncCount = (typeof SYNC_COUNTS)[number];
export type SyncCounts = Record<SyncCount, number>;

export function emptyCounts(): SyncCounts {
  return Object.fromEntries(SYNC_COUNTS.map((count) => [count, 0])) as SyncCounts;
}

/** Only the counts of something that carries more (a summary), for storing or summing. */
export function countsOf(source: SyncCounts): SyncCounts {
  return Object.fromEntries(SYNC_COUNTS.map((count) => [count, source[count]])) as SyncCounts;
}

export function sumCounts(all: readonly SyncCounts[]): SyncCounts {
  const total = emptyCounts();
  for (const counts of all) for (const count of SYNC_COUNTS) total[count] += counts[count];
  return total;
}
