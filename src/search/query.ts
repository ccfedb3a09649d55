import type { KeyedField } from '../engine/documents.js';
import { allOf, keyedAnyOf, numberComparison, quote, scopeClauses } from '../engine/filter.js';
import type { Scope } from '../model.js';
import type { SearchFilters, SearchRequest } from './params.js';

/** Which index a filter is for: turn times are per turn; session searches filter on session start. */
export type FilterTarget = 'turns' | 'sessions' | 'sessionTurns';

/**
 * The engine filter of a search: the caller's scope AND every filter asked for (OR within a name).
 * Ids and tags are matched on their exact keys. A filter naming ids outside the scope matches nothing.
 */
export function buildFilter(filters: SearchFilters, target: FilterTarget, scope: Scope = {}): string | undefined {
  const timeAttribute = target === 'turns' ? 'timestamp' : target === 'sessions' ? 'startedAt' : 'sessionStartedAt';
  const ids = (field: KeyedField, values: readonly string[]) => (values.length > 0 ? keyedAnyOf(field, values) : undefined);
  return allOf([
    ...scopeClauses(scope),
    ids('companionId', filters.companionId),
    ids('externalClientId', filters.externalClientId),
    ids('tenantId', filters.tenantId),
    ids('tags', filters.tags),
    ids('knowledgeBaseId', filters.knowledgeBaseId),
    ids('functions', filters.functions),
    ids('faqIds', filters.faqIds),
    filters.role && target !== 'sessions' ? `role = ${quote(filters.role)}` : undefined,
    filters.from !== undefined ? numberComparison(timeAttribute, '>=', filters.from) : undefined,
    filters.to !== undefined ? numberComparison(timeAttribute, '<=', filters.to) : undefined,
  ]);
}

/**
 * The text sent to the engine. The engine matches the last word of a query as a prefix (search as you
 * type); a last word of one letter (`t` of `don't`, `s` of `it's`, a lone `a`) would then match, and
 * mark, every word starting with it. A trailing space tells the engine the word is complete.
 */
export function engineQuery(q: string): string {
  const words = q.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const last = words.at(-1);
  return last !== undefined && [...last].length === 1 && !/\s$/.test(q) && !q.trimEnd().endsWith('"') ? `${q} ` : q;
}

export function sortFor(request: Pick<SearchRequest, 'sort'>, attribute: string): string[] | undefined {
  if (request.sort === 'newest') return [`${attribute}:desc`];
  if (request.sort === 'oldest') return [`${attribute}:asc`];
  return undefined;
}
