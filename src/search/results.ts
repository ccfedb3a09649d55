import type { PagedSearchResponse } from '../engine/client.js';
import { KEYED, idOfKey, type KeyedField } from '../engine/documents.js';
import type { SearchRequest } from './params.js';
/** The response envelope shared by both search endpoints (CONTRACT.md §4). */
export type SearchPage<T> = {
  hits: T[];
  totalHits: number;
  page: number;
  hitsPerPage: number;
  totalPages: number;
  facets: Record<string, Record<string, number>>;
  processingTimeMs: number;
};

/** The envelope around hits, from the engine's answer to a paged search. */
export function searchPage<T>(
  hits: T[],
  response: PagedSearchResponse<unknown>,
  request: Pick<SearchRequest, 'page' | 'hitsPerPage' | 'facets'>,
): SearchPage<T> {
  return {
    hits,
    totalHits: response.totalHits ?? 0,
    page: response.page ?? request.page,
    hitsPerPage: response.hitsPerPage ?? request.hitsPerPage,
    totalPages: response.totalPages ?? 0,
    facets: facetsView(response.facetDistribution, request.facets),
    processingTimeMs: response.processingTimeMs,
  };
}

/** Values shown per facet; the engine already sorts them by count. */
export const FACET_VALUES_SHOWN = 100;

/** The engine attribute a facet of the API is counted on: the exact key of an id, or the field itself. */
export function facetAttribute(name: string): string {
  return name in KEYED ? KEYED[name as KeyedField] : name;
}

/** Engine facet counts → the API's, by facet name, keys decoded back to the ids they stand for. */
export function facetsView(
  distribution: Record<string, Record<string, number>> | undefined,
  requested: readonly string[],
): Record<string, Record<string, number>> {
  const view: Record<string, Record<string, number>> = {};
  for (const name of requested) {
    const keyed = name in KEYED;
    const entries = Object.entries(distribution?.[facetAttribute(name)] ?? {})
      .map(([value, count]): [string, number] => [keyed ? idOfKey(value) : value, count])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, FACET_VALUES_SHOWN);
    view[name] = Object.fromEntries(entries);
  }
  return view;
}

/** `count` is how many matching documents have a value (usage is unknown for some vendors). */
export type NumberStats = { count: number | null; sum: number | null; min: number | null; max: number | null };

/**
 * Sum, min and max of a numeric attribute over every matching document, from one facet query: the
 * distribution maps each distinct value to how many documents have it, so the sum is Σ value × count.
 * When the engine truncated the distribution, sum and count would be wrong and are reported as null.
 */
export function numberStats(
  distribution: Record<string, number> | undefined,
  stats: { min: number; max: number } | undefined,
  maxValues: number,
): NumberStats {
  const entries = Object.entries(distribution ?? {});
  let count = 0;
  let sum = 0;
  for (const [value, n] of entries) {
    count += n;
    sum += Number(value) * n;
  }
  const complete = entries.length < maxValues;
  return {
    count: complete ? count : null,
    sum: entries.length === 0 ? null : complete ? Math.round(sum * 1e6) / 1e6 : null,
    min: stats?.min ?? null,
    max: stats?.max ?? null,
  };
}
