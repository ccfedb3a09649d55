import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import type { FacetValuesRequest } from './params.js';
import { KEYED, exactKey, idOfKey } from '../engine/documents.js';
import type { Scope } from '../model.js';
import { buildFilter } from './query.js';
import { facetAttribute } from './results.js';
import type { SearchDeps } from './turns.js';

export const SEARCHABLE_FACETS = ['companionId', 'externalClientId', 'tenantId', 'tags', 'knowledgeBaseId', 'functions', 'faqIds'] as const;
export const SearchableFacet = z.enum(SEARCHABLE_FACETS).describe('Facet whose values to list');

/**
 * `/v1/facets/{name}?q=prefix`: facet values for autocomplete, counted in sessions (the sessions index
 * holds one document per session), narrowed by the same filters and scope as search. Ids complete
 * case-sensitively, as they compare.
 */
export async function facetValues(
  deps: SearchDeps,
  name: string,
  { prefix, filters }: FacetValuesRequest,
  scope: Scope = {},
): Promise<{ values: Array<{ value: string; count: number }> }> {
  if (!SearchableFacet.safeParse(name).success) {
    throw new BadRequestError(`Unknown facet '${name.slice(0, 40)}'; expected one of ${SEARCHABLE_FACETS.join(', ')}`);
  }
  // Ids are completed on their exact keys: the hex of a prefix is a prefix of the hex of the id.
  const keyed = name in KEYED;
  const response = await deps.engine.facetSearch(deps.names.sessions, {
    facetName: facetAttribute(name),
    facetQuery: keyed ? exactKey(prefix) : prefix,
    filter: buildFilter(filters, 'sessions', scope),
  });
  const values = response.facetHits.map((hit) => ({ value: keyed ? idOfKey(hit.value) : hit.value, count: hit.count }));
  return { values: keyed ? values.filter(({ value }) => value.startsWith(prefix)) : values };
}
