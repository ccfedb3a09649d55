import { allOf, anyOf, numberComparison, quote } from './filter.js';
import type { SearchFilters, SearchRequest } from './params.js';

/** Which index a filter is for: turn times are per turn; session searches filter on session start. */
export type FilterTarget = 'turns' | 'sessions' | 'sessionTurns';

/**
 * Companions a caller may see; undefined means all. A filter naming companions outside the scope is
 * intersected with it, so it matches nothing rather than confirming those companions exist.
 */
export type Scope = { companions?: readonly string[] };

export function buildFilter(filters: SearchFilters, target: FilterTarget, scope: Scope = {}): string | undefined {
  let companions = filters.companionId;
  if (scope.companions) {
    const allowed = new Set(scope.companions);
    companions = companions.length > 0 ? companions.filter((id) => allowed.has(id)) : [...allowed];
    if (companions.length === 0) return anyOf('companionId', []);
  }
  const timeAttribute = target === 'turns' ? 'timestamp' : target === 'sessions' ? 'startedAt' : 'sessionStartedAt';
  return allOf([
    companions.length > 0 ? anyOf('companionId', companions) : undefined,
    filters.externalClientId.length > 0 ? anyOf('externalClientId', filters.externalClientId) : undefined,
    filters.tenantId.length > 0 ? anyOf('tenantId', filters.tenantId) : undefined,
    filters.tags.length > 0 ? anyOf('tags', filters.tags) : undefined,
    filters.knowledgeBaseId.length > 0 ? anyOf('knowledgeBaseId', filters.knowledgeBaseId) : undefined,
    filters.functions.length > 0 ? anyOf('functions', filters.functions) : undefined,
    filters.faqIds.length > 0 ? anyOf('faqIds', filters.faqIds) : undefined,
    filters.role && target !== 'sessions' ? `role = ${quote(filters.role)}` : undefined,
    filters.from !== undefined ? numberComparison(timeAttribute, '>=', filters.from) : undefined,
    filters.to !== undefined ? numberComparison(timeAttribute, '<=', filters.to) : undefined,
  ]);
}

export function sortFor(request: Pick<SearchRequest, 'sort'>, attribute: string): string[] | undefined {
  if (request.sort === 'newest') return [`${attribute}:desc`];
  if (request.sort === 'oldest') return [`${attribute}:asc`];
  return undefined;
}

/**
 * Highlight markers: private-use characters that do not occur in transcripts, so the engine's
 * formatted text can be HTML-escaped first and the markers turned into <mark> after.
 */
export const MARK_START = '\uE000';
export const MARK_END = '\uE001';

export function highlightParams(crop: boolean): Record<string, unknown> {
  return {
    attributesToHighlight: ['text'],
    highlightPreTag: MARK_START,
    highlightPostTag: MARK_END,
    ...(crop ? { attributesToCrop: ['text'], cropLength: 32, cropMarker: '…' } : {}),
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/** Engine-formatted text → HTML-escaped text whose only tags are <mark>…</mark>. */
export function markedHtml(formatted: string): string {
  return escapeHtml(formatted).replaceAll(MARK_START, '<mark>').replaceAll(MARK_END, '</mark>');
}
