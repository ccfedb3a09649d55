import { z } from 'zod';
import { BadRequestError, errorMessage } from '../errors.js';
import { MAX_TOTAL_HITS } from '../engine/indexes.js';
import type { Role } from '../model.js';
import { many, one, parseKnownParams, parseQuery, wholeNumber, type RawQuery } from '../query-params.js';

/**
 * Query parameters of the search endpoints (CONTRACT.md §4): one zod schema per endpoint, which both
 * validates a request into a SearchRequest and describes the endpoint in the OpenAPI document. Every
 * rejection is a BadRequestError naming the parameter; unknown parameters are rejected too.
 */
export type SearchKind = 'turns' | 'sessions';

export const TURN_FACETS = ['companionId', 'externalClientId', 'tenantId', 'tags', 'role', 'source', 'knowledgeBaseId', 'functions', 'faqIds'] as const;
export const SESSION_FACETS = ['companionId', 'externalClientId', 'tenantId', 'tags', 'source', 'knowledgeBaseId', 'functions', 'faqIds'] as const;
export type FacetName = (typeof TURN_FACETS)[number];

export type SearchFilters = {
  companionId: string[];
  externalClientId: string[];
  tenantId: string[];
  tags: string[];
  knowledgeBaseId: string[];
  /** Sessions that had any of these functions (tools). */
  functions: string[];
  /** Sessions that had any of these FAQs. */
  faqIds: string[];
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
const MAX_FACET_PREFIX_CHARS = 200;

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

const filterValue = (name: string, description: string) =>
  z
    .string()
    .min(1, `Parameter '${name}' must not be empty`)
    .max(MAX_VALUE_CHARS, `Parameter '${name}' is longer than ${MAX_VALUE_CHARS} characters`)
    .regex(/^[^\u0000-\u001f\u007f]*$/, `Parameter '${name}' contains control characters`)
    .meta({ description });

const timeParam = (name: 'from' | 'to', description: string) =>
  one(
    name,
    z
      .string()
      .meta({ description, examples: ['2026-01-31', '2026-01-31T09:30:00Z', '1769851800'] })
      .transform((text, ctx) => {
        try {
          return parseTime(name, text);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: errorMessage(error) });
          return z.NEVER;
        }
      }),
  ).optional();

/** Filters shared by both searches and by facet values: OR within a name, AND across names. */
const FILTER_PARAMS = {
  companionId: many('companionId', filterValue('companionId', 'Companion id; repeat for any of several'), MAX_VALUES_PER_FILTER),
  externalClientId: many('externalClientId', filterValue('externalClientId', 'External client id; repeat for any of several'), MAX_VALUES_PER_FILTER),
  tenantId: many('tenantId', filterValue('tenantId', 'Tenant id; repeat for any of several'), MAX_VALUES_PER_FILTER),
  tag: many(
    'tag',
    filterValue('tag', 'Tag as key:value; repeat for any of several').refine((tag) => tag.indexOf(':') > 0, {
      error: (issue) => `Invalid 'tag': expected key:value, got '${String(issue.input).slice(0, 40)}'`,
    }),
    MAX_VALUES_PER_FILTER,
  ),
  knowledgeBaseId: many('knowledgeBaseId', filterValue('knowledgeBaseId', 'Knowledge base id (Napster); repeat for any of several'), MAX_VALUES_PER_FILTER),
  function: many('function', filterValue('function', 'A function (tool) the session had (Napster); repeat for any of several'), MAX_VALUES_PER_FILTER),
  faqId: many('faqId', filterValue('faqId', 'An FAQ the session had (Napster); repeat for any of several'), MAX_VALUES_PER_FILTER),
  from: timeParam('from', 'Earliest turn time (turns) or session start (sessions): ISO-8601 (UTC unless an offset is given) or Unix seconds'),
  to: timeParam('to', 'Latest turn time or session start, inclusive; a bare date means the end of that day'),
};

const ROLE_PARAM = one(
  'role',
  z.enum(['user', 'agent', 'assistant'], { error: `Invalid 'role': expected user or agent` }).meta({
    description: 'Only what this side said (`assistant` is read as `agent`)',
  }),
).optional();

const facetList = (allowed: readonly string[]) =>
  z
    .preprocess(
      (text) => (text === '' ? [] : String(text).split(',').map((name) => name.trim())),
      z.array(
        z.enum(allowed as [string, ...string[]], {
          error: (issue) => `Invalid 'facets': unknown facet '${String(issue.input).slice(0, 40)}'; expected some of ${allowed.join(', ')}`,
        }),
      ),
    )
    .transform((names) => [...new Set(names)] as FacetName[]);

const searchParams = (facets: readonly string[]) => ({
  q: one('q', z.string().max(MAX_QUERY_CHARS, `Parameter 'q' is longer than ${MAX_QUERY_CHARS} characters`))
    .default('')
    .describe('Search text: "double quotes" for an exact phrase; other words are typo-tolerant and all must match'),
  ...FILTER_PARAMS,
  role: ROLE_PARAM,
  sort: one('sort', z.enum(['relevance', 'newest', 'oldest'], { error: `Invalid 'sort': expected relevance, newest or oldest` }))
    .default('relevance')
    .describe('Order of hits'),
  page: one('page', wholeNumber('page', 1, MAX_TOTAL_HITS))
    .default(1)
    .describe(`Page of hits, from 1; page × hitsPerPage may not pass ${MAX_TOTAL_HITS}`),
  hitsPerPage: one('hitsPerPage', wholeNumber('hitsPerPage', 1, 100)).default(20).describe('Hits per page'),
  facets: one('facets', facetList(facets)).default([]).describe('Facet counts to return, as a comma-separated list'),
});

/** Checks that span parameters; they run only once each parameter is valid on its own. */
function checkRanges(query: { from?: number; to?: number; page: number; hitsPerPage: number }, ctx: z.RefinementCtx): void {
  const lastPage = Math.floor(MAX_TOTAL_HITS / query.hitsPerPage);
  if (query.page > lastPage) ctx.addIssue({ code: 'custom', path: ['page'], message: `Invalid 'page': expected a whole number from 1 to ${lastPage}` });
  checkTimeRange(query, ctx);
}

function checkTimeRange(query: { from?: number; to?: number }, ctx: z.RefinementCtx): void {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: `Invalid 'from': it is after 'to'` });
  }
}

export const TurnsQuery = z
  .object({
    ...searchParams(TURN_FACETS),
    context: one('context', wholeNumber('context', 0, 5)).default(0).describe('Turns before and after each hit to return with it'),
  })
  .superRefine(checkRanges);

export const SessionsQuery = z.object(searchParams(SESSION_FACETS)).superRefine(checkRanges);

export const FacetValuesQuery = z
  .object({
    q: one('q', z.string().max(MAX_FACET_PREFIX_CHARS, `Parameter 'q' is longer than ${MAX_FACET_PREFIX_CHARS} characters`))
      .default('')
      .describe('Prefix of the facet values to list'),
    ...FILTER_PARAMS,
  })
  .superRefine(checkTimeRange);

const FiltersQuery = z.object({ ...FILTER_PARAMS, role: ROLE_PARAM }).superRefine(checkTimeRange);

type ParsedFilters = z.output<typeof FiltersQuery>;

function toFilters(query: ParsedFilters): SearchFilters {
  return {
    companionId: query.companionId,
    externalClientId: query.externalClientId,
    tenantId: query.tenantId,
    tags: query.tag,
    knowledgeBaseId: query.knowledgeBaseId,
    functions: query.function,
    faqIds: query.faqId,
    role: query.role === 'assistant' ? 'agent' : query.role,
    from: query.from,
    to: query.to,
  };
}

/** The filters of a query, ignoring its other parameters. */
export function parseFilters(query: RawQuery): SearchFilters {
  return toFilters(parseKnownParams(FiltersQuery, query));
}

/** `/v1/facets/{name}`: the prefix to complete, and the filters that narrow the sessions counted. */
export type FacetValuesRequest = { prefix: string; filters: SearchFilters };

export function facetValuesRequestOf(parsed: z.output<typeof FacetValuesQuery>): FacetValuesRequest {
  return { prefix: parsed.q, filters: toFilters(parsed) };
}

/** A query validated by `TurnsQuery` or `SessionsQuery` (the routes validate it; the CLI calls `parseSearchRequest`). */
export function searchRequestOf(parsed: z.output<typeof TurnsQuery> | z.output<typeof SessionsQuery>): SearchRequest {
  return {
    ...toFilters(parsed),
    q: parsed.q,
    sort: parsed.sort,
    page: parsed.page,
    hitsPerPage: parsed.hitsPerPage,
    facets: parsed.facets,
    context: 'context' in parsed ? parsed.context : 0,
  };
}

export function parseSearchRequest(query: RawQuery, kind: SearchKind): SearchRequest {
  return searchRequestOf(kind === 'turns' ? parseQuery(TurnsQuery, query) : parseQuery(SessionsQuery, query));
}
