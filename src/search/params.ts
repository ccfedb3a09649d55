import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import { MAX_TOTAL_HITS } from '../engine/indexes.js';
import type { Role } from '../model.js';

/**
 * Query parameters of the search endpoints (CONTRACT.md §4), validated into a SearchRequest. Every
 * rejection is a BadRequestError naming the parameter; unknown parameters are rejected too, so a typo
 * such as `companion=` is reported instead of silently widening the search.
 */
export type SearchKind = 'turns' | 'sessions';

export const TURN_FACETS = ['companionId', 'externalClientId', 'tenantId', 'tags', 'role', 'source'] as const;
export const SESSION_FACETS = ['companionId', 'externalClientId', 'tenantId', 'tags', 'source'] as const;
export type FacetName = (typeof TURN_FACETS)[number];

export type SearchFilters = {
  companionId: string[];
  externalClientId: string[];
  tenantId: string[];
  tags: string[];
  role?: Role;
  /** Unix seconds, inclusive. */
  from?: number;
  to?: number;
};

export type SearchRequest = SearchFilters & {
  q: string;
  sort: 'relevance' | 'newest' | 'oldest';
  page: number;
  hitsPerPage: number;
  facets: FacetName[];
  context: number;
};

export const MAX_QUERY_CHARS = 512;
const MAX_VALUES_PER_FILTER = 100;
const MAX_VALUE_CHARS = 512;

const FILTER_PARAMS = ['companionId', 'externalClientId', 'tenantId', 'tag'] as const;
const COMMON_PARAMS = [...FILTER_PARAMS, 'q', 'role', 'from', 'to', 'sort', 'page', 'hitsPerPage', 'facets'];

const IntegerParam = (min: number, max: number) =>
  z.string().regex(/^\d{1,9}$/, `expected a whole number from ${min} to ${max}`).transform(Number).pipe(z.number().min(min).max(max));

function single(query: Record<string, string[]>, name: string): string | undefined {
  const values = query[name];
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) throw new BadRequestError(`Parameter '${name}' may be given once, got ${values.length} values`);
  return values[0];
}

function parseWith<T>(name: string, schema: z.ZodType<T>, value: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequestError(`Invalid '${name}': ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
  return parsed.data;
}

function filterValues(query: Record<string, string[]>, name: string): string[] {
  const values = query[name] ?? [];
  if (values.length > MAX_VALUES_PER_FILTER) throw new BadRequestError(`Parameter '${name}' may be given at most ${MAX_VALUES_PER_FILTER} times`);
  for (const value of values) {
    if (value.length === 0) throw new BadRequestError(`Parameter '${name}' must not be empty`);
    if (value.length > MAX_VALUE_CHARS) throw new BadRequestError(`Parameter '${name}' is longer than ${MAX_VALUE_CHARS} characters`);
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new BadRequestError(`Parameter '${name}' contains control characters`);
  }
  return [...new Set(values)];
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * ISO-8601 date or date-time, or Unix seconds → Unix seconds. Without an offset, times are UTC. A bare
 * date as `to` means the end of that day: `from=2026-01-01&to=2026-01-31` is all of January.
 */
export function parseTime(name: string, value: string): number {
  if (/^\d{1,12}(\.\d+)?$/.test(value)) return Number(value);
  const parts = ISO_DATE_TIME.exec(value);
  if (parts) {
    const [, year, month, day, time = '00:00', zone = 'Z'] = parts;
    // Date.parse would read an offset-less date-time in the server's time zone, which means nothing to
    // a caller and would make results depend on where the service runs.
    const millis = Date.parse(`${year}-${month}-${day}T${time}${zone}`);
    // Date.parse rolls impossible days over (02-30 becomes 03-02); such a date is a typo, not a request.
    const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
    const wholeDay = parts[4] === undefined && name === 'to' ? 86_400 - 0.001 : 0;
    if (!Number.isNaN(millis) && Number(day) <= daysInMonth) return millis / 1000 + wholeDay;
  }
  throw new BadRequestError(`Invalid '${name}': expected an ISO-8601 date or date-time, or Unix seconds, got '${value.slice(0, 40)}'`);
}

export function parseFilters(query: Record<string, string[]>): SearchFilters {
  const tags = filterValues(query, 'tag');
  for (const tag of tags) {
    if (tag.indexOf(':') <= 0) throw new BadRequestError(`Invalid 'tag': expected key:value, got '${tag.slice(0, 40)}'`);
  }
  const roleText = single(query, 'role');
  const role = roleText === undefined ? undefined : parseWith('role', z.enum(['user', 'agent', 'assistant']), roleText);
  const fromText = single(query, 'from');
  const toText = single(query, 'to');
  const from = fromText === undefined ? undefined : parseTime('from', fromText);
  const to = toText === undefined ? undefined : parseTime('to', toText);
  if (from !== undefined && to !== undefined && from > to) throw new BadRequestError(`Invalid 'from': it is after 'to'`);
  return {
    companionId: filterValues(query, 'companionId'),
    externalClientId: filterValues(query, 'externalClientId'),
    tenantId: filterValues(query, 'tenantId'),
    tags,
    role: role === 'assistant' ? 'agent' : role,
    from,
    to,
  };
}

export function rejectUnknown(query: Record<string, string[]>, allowed: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) throw new BadRequestError(`Unknown parameter '${name.slice(0, 40)}'; expected one of ${allowed.join(', ')}`);
  }
}

export function parseSearchRequest(query: Record<string, string[]>, kind: SearchKind): SearchRequest {
  rejectUnknown(query, kind === 'turns' ? [...COMMON_PARAMS, 'context'] : COMMON_PARAMS);
  const q = single(query, 'q') ?? '';
  if (q.length > MAX_QUERY_CHARS) throw new BadRequestError(`Parameter 'q' is longer than ${MAX_QUERY_CHARS} characters`);
  const sortText = single(query, 'sort');
  const pageText = single(query, 'page');
  const perPageText = single(query, 'hitsPerPage');
  const contextText = single(query, 'context');
  const hitsPerPage = perPageText === undefined ? 20 : parseWith('hitsPerPage', IntegerParam(1, 100), perPageText);
  const page = pageText === undefined ? 1 : parseWith('page', IntegerParam(1, Math.floor(MAX_TOTAL_HITS / hitsPerPage)), pageText);
  const allowedFacets: readonly string[] = kind === 'turns' ? TURN_FACETS : SESSION_FACETS;
  const facetsText = single(query, 'facets');
  const facets = facetsText === undefined || facetsText === '' ? [] : [...new Set(facetsText.split(',').map((name) => name.trim()))];
  for (const facet of facets) {
    if (!allowedFacets.includes(facet)) {
      throw new BadRequestError(`Invalid 'facets': unknown facet '${facet.slice(0, 40)}'; expected some of ${allowedFacets.join(', ')}`);
    }
  }
  return {
    ...parseFilters(query),
    q,
    sort: sortText === undefined ? 'relevance' : parseWith('sort', z.enum(['relevance', 'newest', 'oldest']), sortText),
    page,
    hitsPerPage,
    facets: facets as FacetName[],
    context: contextText === undefined ? 0 : parseWith('context', IntegerParam(0, 5), contextText),
  };
}
