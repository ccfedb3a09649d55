import { BadRequestError } from '../errors.js';
import { parseFilters, rejectUnknown } from './params.js';
import { buildFilter, type Scope } from './query.js';
import type { SearchDeps } from './turns.js';

export const SEARCHABLE_FACETS = ['companionId', 'externalClientId', 'tenantId', 'tags'] as const;

/**
 * `/v1/facets/{name}?q=prefix`: facet values for autocomplete, counted in sessions (the sessions index
 * holds one document per session), narrowed by the same filters as search.
 */
export async function facetValues(
  deps: SearchDeps,
  name: string,
  query: Record<string, string[]>,
  scope: Scope = {},
): Promise<{ values: Array<{ value: string; count: number }> }> {
  if (!(SEARCHABLE_FACETS as readonly string[]).includes(name)) {
    throw new BadRequestError(`Unknown facet '${name.slice(0, 40)}'; expected one of ${SEARCHABLE_FACETS.join(', ')}`);
  }
  rejectUnknown(query, ['q', 'companionId', 'externalClientId', 'tenantId', 'tag', 'from', 'to']);
  const prefixes = query.q ?? [];
  if (prefixes.length > 1) throw new BadRequestError(`Parameter 'q' may be given once, got ${prefixes.length} values`);
  const prefix = prefixes[0] ?? '';
  if (prefix.length > 200) throw new BadRequestError(`Parameter 'q' is longer than 200 characters`);
  const response = await deps.engine.facetSearch(deps.names.sessions, {
    facetName: name,
    facetQuery: prefix,
    filter: buildFilter(parseFilters(query), 'sessions', scope),
  });
  return { values: response.facetHits.map((hit) => ({ value: hit.value, count: hit.count })) };
}
