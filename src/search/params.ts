import { z } from 'zod';
import { BadRequestError, errorMessage } from '../errors.js';
import { MAX_TOTAL_HITS } from '../engine/indexes.js';
import type { Role } from '../model.js';
import { many, manyInOrder, one, parseKnownParams, parseQuery, wholeNumber, type RawQuery } from '../query-params.js';

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
  /**
   * `disjunctive`: each facet's counts are computed without that facet's own filter, so a page can
   * offer "this companion OR that one" (InstantSearch's refinement lists); `conjunctive`: every count
   * is under every filter.
   */
  facetMode: FacetMode;
  context: number;
  /** Sessions only: what both sides said (§4a); absent or empty, the search is on `q` and filters alone. */
  conversation?: Conversation;
};

/** Who said it, in a conversation condition: `any` is either side. */
export const SPEAKERS = ['user', 'agent', 'any'] as const;
export type Speaker = (typeof SPEAKERS)[number];

/** `said=ROLE:TEXT` or `notSaid=ROLE:TEXT`: a turn by `role` whose text matches `text` as `q` matches turns. */
export type ConversationCondition = { role: Speaker; text: string };

/**
 * Conversation conditions of a session search (CONTRACT.md §4a): every `said` holds and no `notSaid`
 * does; `ordered`, the `said` conditions hold on turns in the order given, each at most `within`
 * turns after the previous one when that is set.
 */
export type Conversation = { said: ConversationCondition[]; notSaid: ConversationCondition[]; ordered: boolean; within?: number };

export const MAX_CONDITIONS = 10;
/** More than any session holds (ingest refuses sessions of over 20,000 turns): a larger `within` is no limit. */
const MAX_WITHIN = 100_000;

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A search to export: every match, written in `format`. */
export type ExportRequest = SearchRequest & { format: ExportFormat };

const FACET_MODES = ['conjunctive', 'disjunctive'] as const;
export type FacetMode = (typeof FACET_MODES)[number];

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

/** `from` or `to`: ISO-8601 or Unix seconds → Unix seconds, a bare `to` date its day's end (parseTime). */
export const timeParam = (name: 'from' | 'to', description: string) =>
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

/**
 * `ROLE:TEXT` → the condition; BadRequestError naming the parameter. ROLE is `user`, `agent` or `any`
 * (`assistant` is read as `agent`, as the vendors say it); TEXT is read as `q` is, and needs a word:
 * punctuation alone would make the engine match every turn.
 */
export function parseCondition(name: string, value: string): ConversationCondition {
  const colon = value.indexOf(':');
  const role = value.slice(0, Math.max(0, colon)).trim().toLowerCase();
  const speaker = role === 'assistant' ? 'agent' : SPEAKERS.find((known) => known === role);
  if (colon === -1 || speaker === undefined) {
    throw new BadRequestError(`Invalid '${name}': expected ROLE:TEXT with ROLE user, agent or any, got '${value.slice(0, 40)}'`);
  }
  const text = value.slice(colon + 1).trim();
  if ([...text].length > MAX_QUERY_CHARS) throw new BadRequestError(`Parameter '${name}' is longer than ${MAX_QUERY_CHARS} characters`);
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new BadRequestError(`Parameter '${name}' contains control characters`);
  if (!/[\p{L}\p{N}]/u.test(text)) throw new BadRequestError(`Invalid '${name}': '${role}:' needs a word to match, got '${value.slice(0, 40)}'`);
  return { role: speaker, text };
}

const conditionValue = (name: 'said' | 'notSaid', description: string) =>
  z
    .string()
    .meta({ description, examples: ['user:"book a table"', 'agent:confirmed', 'any:refund'] })
    .transform((text, ctx) => {
      try {
        return parseCondition(name, text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: errorMessage(error) });
        return z.NEVER;
      }
    });

/** §4a, on session searches and session exports. */
const CONVERSATION_PARAMS = {
  said: manyInOrder(
    'said',
    conditionValue(
      'said',
      'A conversation condition, `ROLE:TEXT`: the session has a turn by ROLE (`user`, `agent` or `any`) matching TEXT as `q` matches (words typo-tolerant, "double quotes" an exact phrase). Repeat for several: all must hold. Each hit then lists, in `matches`, a turn that satisfies each one, by its position among the `said` parameters (from 0)',
    ),
    MAX_CONDITIONS,
  ),
  notSaid: manyInOrder(
    'notSaid',
    conditionValue('notSaid', 'A negated condition, `ROLE:TEXT`: the session has no turn by ROLE matching TEXT. Repeat for several: none may hold'),
    MAX_CONDITIONS,
  ),
  order: one('order', z.enum(['said'], { error: `Invalid 'order': expected said` }))
    .optional()
    .describe('`said`: the `said` conditions hold on turns in the order given (strictly increasing turn index)'),
  within: one('within', wholeNumber('within', 1, MAX_WITHIN))
    .optional()
    .describe('With `order=said`: each of those turns at most N turns after the previous one (1: the very next turn)'),
};

function checkConversation(query: { said: unknown[]; order?: 'said'; within?: number }, ctx: z.RefinementCtx): void {
  if (query.within !== undefined && query.order === undefined) ctx.addIssue({ code: 'custom', path: ['within'], message: `Invalid 'within': it needs order=said` });
  if (query.order !== undefined && query.said.length === 0) ctx.addIssue({ code: 'custom', path: ['order'], message: `Invalid 'order': there is no 'said' condition to order` });
}

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

/** One wording for a page below the first and past the last, so both name the same bounds. */
const PAGE_BOUNDS = `a whole number from 1, with page × hitsPerPage at most ${MAX_TOTAL_HITS}`;

const Q_PARAM = one('q', z.string().max(MAX_QUERY_CHARS, `Parameter 'q' is longer than ${MAX_QUERY_CHARS} characters`))
  .default('')
  .describe('Search text: "double quotes" for an exact phrase; other words are typo-tolerant and all must match');

const searchParams = (facets: readonly string[]) => ({
  q: Q_PARAM,
  ...FILTER_PARAMS,
  role: ROLE_PARAM,
  sort: one('sort', z.enum(['relevance', 'newest', 'oldest'], { error: `Invalid 'sort': expected relevance, newest or oldest` }))
    .default('relevance')
    .describe('Order of hits'),
  page: one('page', wholeNumber('page', 1, MAX_TOTAL_HITS, PAGE_BOUNDS))
    .default(1)
    .describe(`Page of hits, from 1; page × hitsPerPage may not pass ${MAX_TOTAL_HITS}`),
  hitsPerPage: one('hitsPerPage', wholeNumber('hitsPerPage', 1, 100)).default(20).describe('Hits per page'),
  facets: one('facets', facetList(facets)).default([]).describe('Facet counts to return, as a comma-separated list'),
  facetMode: one('facetMode', z.enum(FACET_MODES, { error: `Invalid 'facetMode': expected conjunctive or disjunctive` }))
    .default('conjunctive')
    .describe("`disjunctive`: each facet's counts ignore that facet's own filter (what a list of checkboxes offering OR within a name needs); `conjunctive`: every count is under every filter"),
});

/** Checks that span parameters; they run only once each parameter is valid on its own. */
function checkRanges(query: { from?: number; to?: number; page: number; hitsPerPage: number }, ctx: z.RefinementCtx): void {
  const lastPage = Math.floor(MAX_TOTAL_HITS / query.hitsPerPage);
  if (query.page > lastPage) {
    ctx.addIssue({ code: 'custom', path: ['page'], message: `Invalid 'page': expected ${PAGE_BOUNDS} (${lastPage} at hitsPerPage=${query.hitsPerPage})` });
  }
  checkTimeRange(query, ctx);
}

function checkTimeRange(query: { from?: number; to?: number }, ctx: z.RefinementCtx): void {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: `Invalid 'from': it is after 'to'` });
  }
}

const turnsParams = {
  ...searchParams(TURN_FACETS),
  context: one('context', wholeNumber('context', 0, 5)).default(0).describe('Turns before and after each hit to return with it'),
};

const sessionsParams = { ...searchParams(SESSION_FACETS), ...CONVERSATION_PARAMS };

function checkSessionsQuery(query: z.output<z.ZodObject<typeof sessionsParams>>, ctx: z.RefinementCtx): void {
  checkRanges(query, ctx);
  checkConversation(query, ctx);
}

export const TurnsQuery = z.object(turnsParams).superRefine(checkRanges);

export const SessionsQuery = z.object(sessionsParams).superRefine(checkSessionsQuery);

/**
 * An export takes its search's parameters, so the query string of a search can be exported as it is;
 * paging and facets are accepted, checked and have no effect: an export holds every match.
 */
const EXPORT_PARAMS = {
  format: one('format', z.enum(EXPORT_FORMATS, { error: `Invalid 'format': expected jsonl or csv` }))
    .default('jsonl')
    .describe('`jsonl`: one hit a line, as the search answers it; `csv`: a header row, then one hit a row (RFC 4180, UTF-8)'),
};

const exportOnly = <S extends Record<'page' | 'hitsPerPage' | 'facets' | 'facetMode', z.ZodType>>(params: S): S => ({
  ...params,
  page: params.page.describe('Accepted as in the search, without effect: an export holds every match'),
  hitsPerPage: params.hitsPerPage.describe('Accepted as in the search, without effect: an export holds every match'),
  facets: params.facets.describe('Accepted as in the search, without effect: an export holds hits, not counts'),
  facetMode: params.facetMode.describe('Accepted as in the search, without effect: an export holds hits, not counts'),
});

export const TurnsExportQuery = z.object({ ...exportOnly(turnsParams), ...EXPORT_PARAMS }).superRefine(checkRanges);

export const SessionsExportQuery = z.object({ ...exportOnly(sessionsParams), ...EXPORT_PARAMS }).superRefine(checkSessionsQuery);

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

type ParsedSearch = z.output<typeof TurnsQuery> | z.output<typeof SessionsQuery>;

/** A query validated by `TurnsQuery` or `SessionsQuery` (the routes validate it; the CLI calls `parseSearchRequest`). */
export function searchRequestOf(parsed: ParsedSearch): SearchRequest {
  return {
    ...toFilters(parsed),
    q: parsed.q,
    sort: parsed.sort,
    page: parsed.page,
    hitsPerPage: parsed.hitsPerPage,
    facets: parsed.facets,
    facetMode: parsed.facetMode,
    context: 'context' in parsed ? parsed.context : 0,
    ...('said' in parsed
      ? { conversation: { said: parsed.said, notSaid: parsed.notSaid, ordered: parsed.order === 'said', within: parsed.within } }
      : {}),
  };
}

export function parseSearchRequest(query: RawQuery, kind: SearchKind): SearchRequest {
  return searchRequestOf(kind === 'turns' ? parseQuery(TurnsQuery, query) : parseQuery(SessionsQuery, query));
}

/** A query validated by `TurnsExportQuery` or `SessionsExportQuery`. */
export function exportRequestOf(parsed: z.output<typeof TurnsExportQuery> | z.output<typeof SessionsExportQuery>): ExportRequest {
  return { ...searchRequestOf(parsed), format: parsed.format };
}

export function parseExportRequest(query: RawQuery, kind: SearchKind): ExportRequest {
  return exportRequestOf(kind === 'turns' ? parseQuery(TurnsExportQuery, query) : parseQuery(SessionsExportQuery, query));
}

/**
 * A tracker's saved search: the text and filters of a turn search, as its query string. Paging, order
 * and facets are not part of what a tracker matches, and are refused as unknown parameters.
 */
const TrackerSearchQuery = z.object({ q: Q_PARAM, ...FILTER_PARAMS, role: ROLE_PARAM }).superRefine(checkTimeRange);

export type TrackerSearch = SearchFilters & { q: string };

/** `q=refund&companionId=a` (with or without a leading `?`) → what it matches; BadRequestError naming the parameter. */
export function parseTrackerSearch(text: string): TrackerSearch {
  const params = new URLSearchParams(text.startsWith('?') ? text.slice(1) : text);
  const raw: RawQuery = {};
  for (const [name, value] of params) (raw[name] ??= []).push(value);
  const parsed = parseQuery(TrackerSearchQuery, raw);
  return { ...toFilters(parsed), q: parsed.q };
}

/** A tracker's search as a turn search: the page asked for, newest first, no facets. */
export function trackerSearchRequest(search: TrackerSearch, page: { page: number; hitsPerPage: number }): SearchRequest {
  return { ...search, sort: 'newest', page: page.page, hitsPerPage: page.hitsPerPage, facets: [], facetMode: 'conjunctive', context: 0 };
}
