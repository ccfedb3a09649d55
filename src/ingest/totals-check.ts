import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { quote } from '../engine/filter.js';
import type { UpstreamTotals } from '../sources/source.js';

/*
 * After a run, what the vendor says it holds is compared with what the index holds for that source,
 * plus what is withheld on purpose: sessions of forgotten clients, which the source still lists and
 * the service refuses (withheld.ts). A difference means sessions the source lists are not searchable
 * (or the index holds sessions the source no longer lists): it is reported in the sync status, with
 * every field that differs.
 */

export type TotalsField = keyof UpstreamTotals;
export type Totals = Required<UpstreamTotals>;

/** `indexed` is what the index holds; the check's `withheld` is added to it before comparing. */
export type TotalsMismatch = { field: TotalsField; upstream: number; indexed: number };

export type TotalsCheck = {
  checkedAt: string;
  upstream: UpstreamTotals;
  indexed: Totals;
  /** Sessions the source lists that are refused because their client is forgotten, and their usage. */
  withheld: Totals;
  mismatches: TotalsMismatch[];
};

export const USAGE_FIELDS = ['llmInputTokens', 'llmOutputTokens', 'sttAudioSeconds', 'ttsCharacters', 'costUsd'] as const;
export type UsageField = (typeof USAGE_FIELDS)[number];

export function zeroTotals(): Totals {
  return { sessions: 0, llmInputTokens: 0, llmOutputTokens: 0, sttAudioSeconds: 0, ttsCharacters: 0, costUsd: 0 };
}

type SessionUsage = Partial<Record<UsageField, number | null>>;

/** Counts one more session and its usage, a missing value counting as none. */
function addSession(totals: Totals, session: SessionUsage): void {
  totals.sessions++;
  for (const field of USAGE_FIELDS) totals[field] += session[field] ?? 0;
}

export function sumTotals(sessions: Iterable<SessionUsage>): Totals {
  const totals = zeroTotals();
  for (const session of sessions) addSession(totals, session);
  return totals;
}

/** Sums over the source's session documents, read in pages: exact, and needs no numeric facets. */
export async function indexedTotals(engine: EngineClient, names: IndexNames, source: string): Promise<Totals> {
  const totals = zeroTotals();
  for await (const doc of engine.documents<SessionUsage>(names.sessions, { filter: `source = ${quote(source)}`, fields: [...USAGE_FIELDS] })) addSession(totals, doc);
  return totals;
}

export function compareTotals(upstream: UpstreamTotals, indexed: Totals, withheld: Totals = zeroTotals(), now = new Date()): TotalsCheck {
  const mismatches: TotalsMismatch[] = [];
  for (const field of ['sessions', ...USAGE_FIELDS] as const) {
    const expected = upstream[field];
    if (expected !== undefined && !matches(expected, indexed[field] + withheld[field])) mismatches.push({ field, upstream: expected, indexed: indexed[field] });
  }
  return { checkedAt: now.toISOString(), upstream, indexed, withheld, mismatches };
}

/**
 * Sums of fractional values differ in their last bits with the order of adding, and a vendor may round
 * a total to the precision it shows (cost to cents): half a unit of the digits it sent is tolerated.
 */
function matches(upstream: number, indexed: number): boolean {
  const decimals = (String(upstream).split('.')[1] ?? '').length;
  const shownPrecision = decimals === 0 ? 0 : 0.5 * 10 ** -decimals;
  return Math.abs(upstream - indexed) <= Math.max(shownPrecision, 1e-9 * Math.max(1, Math.abs(upstream)));
}

export function describeMismatches(check: TotalsCheck): string {
  return check.mismatches
    .map(({ field, upstream, indexed }) => {
      const withheld = check.withheld[field];
      return `${field}: upstream ${upstream}, indexed ${indexed}${withheld === 0 ? '' : ` + ${withheld} withheld (forgotten clients)`}`;
    })
    .join('; ');
}
