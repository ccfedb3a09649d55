import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import type { RawQuery } from '../query-params.js';
import { parseFacetValuesQuery } from './params.js';
import { buildFilter, type Scope } from './query.js';
import type { SearchDeps } from './turns.js';

export const SEARCHABLE_FACETS = ['companionId', 'externalClientId', 'tenantId', 'tags', 'knowledgeBaseId', 'functions', 'faqIds'] as const;
export const SearchableFacet = z.enum(SEARCHABLE_FACETS).describe('Facet whose values to list');

/**
 * `/v1/facets/{name}?q=prefix`: facet values for autocomplete, counted in sessions (the sessions index
 * holds one document per session), narrowed by the same filters as search.
 */
export async function facetValues(
  deps: SearchDeps,
  name: string,
  query: RawQuery,
  scope: Scope = {},
): Promise<{ values: Array<{ value: string; count: number }> }> {
  if (!SearchableFacet.safeParse(name).success) {
    throw new BadRequestError(`Unknown facet '${name.slice(0, 40)}'; expected one of ${SEARCHABLE_FACETS.join(', ')}`);
  }
  const { prefix, filters } = parseFacetValuesQuery(query);
  const response = await deps.engine.facetSearch(deps.names.sessions, {
    facetName: name,
    facetQuery: prefix,
    filter: buildFilter(filters, 'sessions', scope),
  });
  return { values: response.facetHits.map((hit) => ({ value: hit.value, count: hit.count })) };
}
