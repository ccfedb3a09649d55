import type { EngineClient } from '../engine/client.js';
import { allOf, numberComparison } from '../engine/filter.js';
import type { IndexNames } from '../engine/indexes.js';
import { BadRequestError } from '../errors.js';
import type { Scope } from '../model.js';
import type { TrackerSearch } from '../search/params.js';
import { buildFilter, engineQuery } from '../search/query.js';
import { trackerSearch, type Tracker } from './store.js';

/*
 * Trends: a tracker's matching turns and sessions per UTC day or week (from Monday), over all history,
 * counted by the engine on the same query a turn search makes. Turns per day are one facet count on
 * `day`; sessions per bucket are one count each (`distinct` on the session key, nothing retrieved), all
 * in one multi-search round trip per hundred buckets. Only buckets with turns are asked about.
 */

export type Interval = 'day' | 'week';

export type TrendBucket = { start: string; turns: number; sessions: number; aboveThreshold?: boolean };

type EngineDeps = { engine: EngineClient; names: IndexNames };

const DAY_SECONDS = 86_400;
/** Buckets one answer may hold: ten years of days. */
const MAX_BUCKETS = 3_660;
const QUERIES_PER_ROUND_TRIP = 100;

/** The first day (days since 1970-01-01) of the bucket holding `day`; 1970-01-01 was a Thursday. */
function bucketOf(day: number, interval: Interval): number {
  return interval === 'day' ? day : day - ((day + 3) % 7);
}

function isoDay(day: number): string {
  return new Date(day * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}

/** The engine filter of a tracker's search, within `scope` and, optionally, a time window (Unix seconds). */
function trackerFilter(search: TrackerSearch, scope: Scope, window: { from?: number; to?: number } = {}): string | undefined {
  const from = Math.max(search.from ?? -Infinity, window.from ?? -Infinity);
  const to = Math.min(search.to ?? Infinity, window.to ?? Infinity);
  return buildFilter({ ...search, from: Number.isFinite(from) ? from : undefined, to: Number.isFinite(to) ? to : undefined }, 'turns', scope);
}

/** Matching sessions per bucket of days ([first, last] inclusive), each counted once per bucket. */
async function sessionsPerRange(deps: EngineDeps, search: TrackerSearch, filter: string | undefined, ranges: Array<[number, number]>): Promise<number[]> {
  const counts: number[] = [];
  for (let i = 0; i < ranges.length; i += QUERIES_PER_ROUND_TRIP) {
    const results = await deps.engine.multiSearch(
      ranges.slice(i, i + QUERIES_PER_ROUND_TRIP).map(([first, last]) => ({
        indexUid: deps.names.turns,
        q: engineQuery(search.q),
        matchingStrategy: 'all' as const,
        filter: allOf([filter, numberComparison('day', '>=', first), numberComparison('day', '<=', last)]),
        distinct: 'sessionKey',
        page: 1,
        hitsPerPage: 0,
      })),
    );
    counts.push(...results.map((result) => result.totalHits ?? 0));
  }
  return counts;
}

/** Sessions the tracker matches on each of these days: what a threshold is compared with. */
export async function sessionsOnDays(deps: EngineDeps, tracker: Tracker, days: readonly number[]): Promise<Map<number, number>> {
  const search = trackerSearch(tracker);
  const counts = await sessionsPerRange(deps, search, trackerFilter(search, tracker.scope), days.map((day) => [day, day]));
  return new Map(days.map((day, i) => [day, counts[i]!]));
}

/**
 * The tracker's trend within `scope` (the tracker's own, narrowed by the caller's), from `from` to
 * `to` (Unix seconds; default: its first and last match). Buckets between are listed with zeros.
 */
export async function trackerTrend(
  deps: EngineDeps,
  tracker: Tracker,
  options: { interval: Interval; from?: number; to?: number },
  scope: Scope,
): Promise<{ interval: Interval; buckets: TrendBucket[] }> {
  const { interval } = options;
  const search = trackerSearch(tracker);
  const filter = trackerFilter(search, scope, options);
  const { facetDistribution } = await deps.engine.search(deps.names.turns, {
    q: engineQuery(search.q),
    matchingStrategy: 'all',
    filter,
    facets: ['day'],
    page: 1,
    hitsPerPage: 0,
  });
  const turnsPerBucket = new Map<number, number>();
  for (const [day, count] of Object.entries(facetDistribution?.day ?? {})) {
    const bucket = bucketOf(Number(day), interval);
    turnsPerBucket.set(bucket, (turnsPerBucket.get(bucket) ?? 0) + count);
  }
  const step = interval === 'day' ? 1 : 7;
  const known = [...turnsPerBucket.keys()].sort((a, b) => a - b);
  const first = options.from !== undefined ? bucketOf(Math.floor(options.from / DAY_SECONDS), interval) : known[0];
  const last = options.to !== undefined ? bucketOf(Math.floor(options.to / DAY_SECONDS), interval) : known.at(-1);
  if (first === undefined || last === undefined) return { interval, buckets: [] };
  if ((last - first) / step + 1 > MAX_BUCKETS) {
    throw new BadRequestError(`The trend from 'from' to 'to' has more than ${MAX_BUCKETS} ${interval}s; ask for a shorter range or interval=week`);
  }

  const sessions = await sessionsPerRange(deps, search, filter, known.map((bucket) => [bucket, bucket + step - 1]));
  const sessionsPerBucket = new Map(known.map((bucket, i) => [bucket, sessions[i]!]));
  // A threshold is per day: a week is marked when one of its days passed it.
  const above = new Set<number>();
  if (tracker.threshold) {
    const days = interval === 'day' ? known : Object.keys(facetDistribution?.day ?? {}).map(Number);
    const perDay = interval === 'day' ? sessions : await sessionsPerRange(deps, search, filter, days.map((day) => [day, day]));
    days.forEach((day, i) => {
      if (perDay[i]! > tracker.threshold!.sessionsPerDay) above.add(bucketOf(day, interval));
    });
  }
  const buckets: TrendBucket[] = [];
  for (let bucket = first; bucket <= last; bucket += step) {
    buckets.push({
      start: isoDay(bucket),
      turns: turnsPerBucket.get(bucket) ?? 0,
      sessions: sessionsPerBucket.get(bucket) ?? 0,
      ...(tracker.threshold ? { aboveThreshold: above.has(bucket) } : {}),
    });
  }
  return { interval, buckets };
}
