import type { EngineClient, PagedSearchResponse } from '../engine/client.js';
import type { SearchParams } from 'meilisearch';
import type { FacetName, SearchFilters, SearchRequest } from './params.js';
import { facetAttribute } from './results.js';

/** The filter that selects values of each facet; `source` has none, so it is never disjunctive. */
const FILTER_OF_FACET: Partial<Record<FacetName, keyof SearchFilters>> = {
  companionId: 'companionId',
  externalClientId: 'externalClientId',
  tenantId: 'tenantId',
  tags: 'tags',
  knowledgeBaseId: 'knowledgeBaseId',
  functions: 'functions',
  faqIds: 'faqIds',
  role: 'role',
};

/**
 * The facets whose counts must be computed without their own filter, each with the request's filters
 * minus that one. Only a facet whose filter is set needs it: for the others the main query's counts
 * are already the disjunctive ones.
 */
export function disjunctiveFacets(request: SearchRequest): Array<{ facet: FacetName; filters: SearchFilters }> {
  if (request.facetMode !== 'disjunctive') return [];
  return request.facets.flatMap((facet) => {
    const key = FILTER_OF_FACET[facet];
    if (key === undefined) return [];
    const value = request[key];
    if (Array.isArray(value) ? value.length === 0 : value === undefined) return [];
    return [{ facet, filters: { ...request, [key]: Array.isArray(value) ? [] : undefined } }];
  });
}

/**
 * The main search and, in the same round trip, one count-only search per disjunctive facet; the
 * answer is the main one with those facets' counts replaced. `filterOf` builds the engine filter
 * (scope included) of a set of filters, exactly as the main search's was built.
 */
export async function searchWithFacets<T>(
  engine: EngineClient,
  indexUid: string,
  params: SearchParams,
  request: SearchRequest,
  filterOf: (filters: SearchFilters) => string | undefined,
): Promise<PagedSearchResponse<T>> {
  const facets = disjunctiveFacets(request);
  if (facets.length === 0) return engine.search<T>(indexUid, params);
  const { q, distinct, matchingStrategy, attributesToSearchOn } = params;
  const [main, ...counts] = await engine.multiSearch<T>([
    { indexUid, ...params },
    // Paged by page/hitsPerPage like every search here: with `limit` instead, Meilisearch 1.21 counts
    // facet values per turn even under `distinct` (measured), and sessions would be counted per turn.
    ...facets.map(({ facet, filters }) => ({
      indexUid, q, distinct, matchingStrategy, attributesToSearchOn, filter: filterOf(filters), facets: [facetAttribute(facet)], page: 1, hitsPerPage: 0,
    })),
  ]);
  const distribution = { ...main!.facetDistribution };
  facets.forEach(({ facet }, i) => {
    const attribute = facetAttribute(facet);
    distribution[attribute] = counts[i]?.facetDistribution?.[attribute] ?? {};
  });
  return { ...main!, facetDistribution: distribution };
}
