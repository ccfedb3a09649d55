import { documentKey, exactKey, type SessionDocument, type TurnDocument } from '../engine/documents.js';
import { MAX_VALUES_PER_FACET } from '../engine/indexes.js';
import { EngineError, NotFoundError } from '../errors.js';
import { inScope, type Scope } from '../model.js';
import type { SearchFilters, SearchRequest } from './params.js';
import { presentSession } from './present.js';
import { highlightParams, MARK_END, MARK_START, wholeWordMarks } from '../engine/highlight.js';
import { allOf, keyedAnyOf } from '../engine/filter.js';
import type { PagedSearchResponse } from '../engine/client.js';
import { conversationMatches, conversationSessions, type ConversationMatch, type ConversationSessions } from './conversation.js';
import { searchWithFacets } from './disjunctive.js';
import { buildFilter, engineQuery, sortFor } from './query.js';
import { facetAttribute, numberStats, searchPage, type NumberStats, type SearchPage } from './results.js';
import { sessionTurns, withinScope, type SearchDeps } from './turns.js';

export type SessionHit = ReturnType<typeof presentSession> & { snippet: string; matchedTurnIndex: number | null; matches: ConversationMatch[] };

/** A hit before the conversation's matches are added to it. */
type FoundHit = Omit<SessionHit, 'matches'>;

/**
 * Stat name → the attribute holding it in the sessions index and, copied per turn, in the turns index.
 * One entry per vendor total (input and output tokens are priced differently, so each is reported on
 * its own; `tokens` is their sum, kept for callers that want one figure).
 */
const STAT_ATTRIBUTES = {
  durationSeconds: { sessions: 'durationSeconds', turns: 'sessionDurationSeconds' },
  turnCount: { sessions: 'turnCount', turns: 'sessionTurnCount' },
  llmInputTokens: { sessions: 'llmInputTokens', turns: 'sessionLlmInputTokens' },
  llmOutputTokens: { sessions: 'llmOutputTokens', turns: 'sessionLlmOutputTokens' },
  tokens: { sessions: 'tokens', turns: 'sessionTokens' },
  sttAudioSeconds: { sessions: 'sttAudioSeconds', turns: 'sessionSttAudioSeconds' },
  ttsCharacters: { sessions: 'ttsCharacters', turns: 'sessionTtsCharacters' },
  costUsd: { sessions: 'costUsd', turns: 'sessionCostUsd' },
} as const;

type StatName = keyof typeof STAT_ATTRIBUTES;
const STAT_NAMES = Object.keys(STAT_ATTRIBUTES) as StatName[];

export type SessionStats = { count: number } & Record<StatName, NumberStats>;

/** What a session hit shows, fetched from session documents (never their text arrays, which can be long). */
const SESSION_FIELDS: Array<keyof SessionDocument> = [
  'sessionId', 'source', 'companionId', 'externalClientId', 'tenantId', 'tags', 'functions', 'knowledgeBaseId', 'faqIds',
  'createdAt', 'startedAt', 'closedAt', 'inProgress', 'durationSeconds', 'turnCount', 'userTurnCount', 'agentTurnCount',
  'llmInputTokens', 'llmOutputTokens', 'tokens', 'sttAudioSeconds', 'ttsCharacters', 'costUsd', 'interruptionCount',
  'hasRecording', 'recordingUrl', 'preview',
];

type Found = {
  hits: FoundHit[];
  response: PagedSearchResponse<unknown>;
  /** The numeric facets of the statistics, by stat name. */
  stats: Record<StatName, { distribution?: Record<string, number>; range?: { min: number; max: number } }>;
};

/**
 * `/v1/search/sessions`: one hit per session, counted once, with exact facet counts and statistics.
 *
 * - Without text, the sessions index answers directly (with a role: the sessions that side spoke in).
 * - With text, the sessions index answers too: each session document holds what each side said, one
 *   array element per turn (`userText`, `agentText`), so a session is one document and needs no
 *   `distinct`, whose cost grows with every matching turn (40–140 ms at 3 M turns). Words must all
 *   occur in what was said (by the role asked for), phrases within one turn (array elements never join
 *   into a phrase). A session too long for one document (`textComplete` false, rare) is searched
 *   through its turns in a second query; its hits follow the others.
 * - A phrase the session documents cannot answer exactly (three or more words, or any phrase under a
 *   role: `sessionDocumentsAnswer`) goes through the turns index (`distinct` on the session key).
 * - Conversation conditions (`said`, `notSaid`) are evaluated first, on the turns (conversation.ts),
 *   and narrow whichever query answers to the sessions they hold in.
 */
export async function searchSessions(
  deps: SearchDeps,
  request: SearchRequest,
  scope: Scope = {},
): Promise<SearchPage<SessionHit> & { stats: SessionStats }> {
  const conversation = await conversationSessions(deps, request, scope);
  const found = await findSessions(deps, request, scope, conversation?.narrow, true);
  const stats = { count: found.response.totalHits ?? 0 } as SessionStats;
  for (const name of STAT_NAMES) stats[name] = numberStats(found.stats[name].distribution, found.stats[name].range, MAX_VALUES_PER_FACET);
  return { ...searchPage(await withMatches(deps, request, scope, found.hits, conversation), found.response, request), stats };
}

/**
 * Page after page of one session search, its conversation conditions evaluated once, without facets
 * or statistics (for export): the hits of each page exactly as the search answers that page.
 */
export async function sessionSearchPages(
  deps: SearchDeps,
  given: SearchRequest,
  scope: Scope,
): Promise<(page: number, hitsPerPage: number) => Promise<{ hits: SessionHit[]; totalHits: number }>> {
  // Without facets from the start: a disjunctive facet would lift its filter from the conditions' evaluation.
  const request: SearchRequest = { ...given, facets: [] };
  const conversation = await conversationSessions(deps, request, scope);
  return async (page, hitsPerPage) => {
    const paged = { ...request, page, hitsPerPage };
    const found = await findSessions(deps, paged, scope, conversation?.narrow, false);
    return { hits: await withMatches(deps, paged, scope, found.hits, conversation), totalHits: found.response.totalHits ?? 0 };
  };
}

/** The sessions of a search (see searchSessions), within `narrow`; `stats` asks for the statistics' facets. */
async function findSessions(deps: SearchDeps, request: SearchRequest, scope: Scope, narrow: string | undefined, stats: boolean): Promise<Found> {
  const options = { narrow, stats };
  // Without text (a role alone included) the sessions' own fields answer, for every session.
  if (request.q.trim() === '') return viaSessions(deps, request, scope, options);
  if (!sessionDocumentsAnswer(request)) return viaTurns(deps, request, scope, options);
  const long = { narrow: allOf([narrow, 'longSession = true']), stats };
  // The long sessions' query only counts, unless the page reaches past the others' hits.
  const [main, longCount] = await Promise.all([
    viaSessions(deps, request, scope, options),
    viaTurns(deps, { ...request, page: 1, hitsPerPage: 0 }, scope, long),
  ]);
  const longTotal = longCount.response.totalHits ?? 0;
  if (longTotal === 0) return main;
  const mainTotal = main.response.totalHits ?? 0;
  const first = (request.page - 1) * request.hitsPerPage;
  const hits = [...main.hits];
  if (first + request.hitsPerPage > mainTotal && first < mainTotal + longTotal) {
    // Past the sessions that fit their documents: the long ones, in their own order.
    const offset = Math.max(0, first - mainTotal);
    const page = await viaTurns(deps, { ...request, page: 1, hitsPerPage: offset + request.hitsPerPage }, scope, long);
    hits.push(...page.hits.slice(offset, offset + request.hitsPerPage - hits.length));
  }
  return merged(main, longCount, hits, request);
}

/** Each hit with the turn that satisfies each `said` condition (none without conditions). */
async function withMatches(
  deps: SearchDeps,
  request: SearchRequest,
  scope: Scope,
  hits: FoundHit[],
  conversation: ConversationSessions | undefined,
): Promise<SessionHit[]> {
  const keys = hits.map((hit) => exactKey(hit.sessionId));
  const matches = conversation ? await conversationMatches(deps, request, scope, keys, conversation.chains) : new Map<string, ConversationMatch[]>();
  // Added to the hit, not spread with it into a new literal (see `turnHit`).
  return hits.map((hit, i) => Object.assign(hit, { matches: matches.get(keys[i]!) ?? [] }));
}

/**
 * Whether the sessions' documents answer a text search exactly. The engine checks a phrase by its word
 * pairs, each found anywhere in the document: a phrase of three or more words could be made of pairs
 * from different turns, and a phrase of any length under a role could borrow its pair from the other
 * side's text (the role restricts where words are looked for, not pairs). Words, and phrases of two
 * words without a role, are exact: array elements never join into a pair.
 */
function sessionDocumentsAnswer(request: Pick<SearchRequest, 'q' | 'role'>): boolean {
  const phrases = [...request.q.matchAll(/"([^"]*)"/g)].map(([, phrase]) => phrase!.match(/[\p{L}\p{N}]+/gu)?.length ?? 0).filter((words) => words >= 2);
  return request.role === undefined ? phrases.every((words) => words < 3) : phrases.length === 0;
}

/** Extra filter clauses on a query, and whether it also computes the statistics. */
type QueryOptions = { narrow: string | undefined; stats: boolean };

/** The facets a query asks for: the request's, and the statistics' attributes when asked. */
function facetsOf(request: SearchRequest, options: QueryOptions, index: 'sessions' | 'turns'): string[] {
  return [...new Set([...request.facets.map(facetAttribute), ...(options.stats ? STAT_NAMES.map((name) => STAT_ATTRIBUTES[name][index]) : [])])];
}

/** The sessions index: a session is one document (its text in arrays), facets and stats as they are. */
async function viaSessions(deps: SearchDeps, request: SearchRequest, scope: Scope, options: QueryOptions): Promise<Found> {
  const role = request.role;
  const hasText = request.q.trim() !== '';
  // A role without text: the sessions in which that side said anything.
  const roleOnly = role !== undefined && !hasText ? `${role}TurnCount > 0` : undefined;
  const filterOf = (filters: SearchFilters) => allOf([buildFilter(filters, 'sessions', scope), roleOnly, options.narrow]);
  const textAttributes = role === undefined ? ['userText', 'agentText'] : [`${role}Text`];
  const response = await nothingIfUnsaid(request, searchWithFacets<SessionDocument & { _formatted?: Partial<Record<'userText' | 'agentText', string[]>> }>(deps.engine, deps.names.sessions, {
    q: hasText ? engineQuery(request.q) : '',
    filter: filterOf(request),
    matchingStrategy: 'all',
    ...(hasText && role !== undefined ? { attributesToSearchOn: textAttributes } : {}),
    page: request.page,
    hitsPerPage: request.hitsPerPage,
    facets: facetsOf(request, options, 'sessions'),
    sort: sortFor(request.sort === 'relevance' && !hasText ? { sort: 'newest' } : request, 'startedAt'),
    attributesToRetrieve: [...SESSION_FIELDS, 'userTurns', 'agentTurns'],
    ...(hasText
      ? { attributesToHighlight: textAttributes, attributesToCrop: textAttributes, cropLength: 32, cropMarker: '…', highlightPreTag: MARK_START, highlightPostTag: MARK_END }
      : {}),
  }, request, filterOf));
  const docs = withinScope(deps, response.hits, scope);
  const hits = docs.map((doc): FoundHit => {
    const match = hasText ? bestTurn(doc, textAttributes as Array<'userText' | 'agentText'>) : undefined;
    return foundHit(doc, match);
  });
  return { hits, response, stats: statsOf(response, 'sessions') };
}

/**
 * The engine knows a searchable attribute only once a document has it: before any session with that
 * side's text is indexed, restricting a search to it is refused. Nothing can match then.
 */
async function nothingIfUnsaid<T>(request: Pick<SearchRequest, 'page' | 'hitsPerPage'>, search: Promise<PagedSearchResponse<T>>): Promise<PagedSearchResponse<T>> {
  try {
    return await search;
  } catch (error) {
    if (!(error instanceof EngineError && error.engineCode === 'invalid_search_attributes_to_search_on')) throw error;
    return { hits: [], query: '', processingTimeMs: 0, totalHits: 0, totalPages: 0, page: request.page, hitsPerPage: request.hitsPerPage, facetDistribution: {}, facetStats: {} };
  }
}

/** The turn of a session document whose text has the most marked words, and its turn index. */
function bestTurn(
  doc: Pick<SessionDocument, 'userTurns' | 'agentTurns'> & { _formatted?: Partial<Record<'userText' | 'agentText', string[]>> },
  attributes: Array<'userText' | 'agentText'>,
): { text: string; turnIndex: number } | undefined {
  let best: { text: string; turnIndex: number; marks: number } | undefined;
  for (const attribute of attributes) {
    const turns = attribute === 'userText' ? doc.userTurns : doc.agentTurns;
    (doc._formatted?.[attribute] ?? []).forEach((text, i) => {
      const marks = text.split(MARK_START).length - 1;
      const turnIndex = turns?.[i];
      if (marks > 0 && turnIndex !== undefined && (!best || marks > best.marks || (marks === best.marks && turnIndex < best.turnIndex))) best = { text, turnIndex, marks };
    });
  }
  return best && { text: wholeWordMarks(best.text), turnIndex: best.turnIndex };
}

/**
 * The turns index with `distinct: sessionKey`: a session matches when one of its turns (said by that
 * role) matches; the engine counts hits and facet values per session.
 */
async function viaTurns(deps: SearchDeps, request: SearchRequest, scope: Scope, options: QueryOptions): Promise<Found> {
  const filterOf = (filters: SearchFilters) => allOf([buildFilter(filters, 'sessionTurns', scope), options.narrow]);
  // One query answers the page, the facets and the statistics: with `distinct`, each extra query would
  // pay for collapsing the matching turns into sessions again (the most expensive part of it).
  const response = await searchWithFacets<Pick<TurnDocument, 'sessionId' | 'turnIndex'> & { _formatted?: { text?: string } }>(deps.engine, deps.names.turns, {
    q: engineQuery(request.q),
    filter: filterOf(request),
    distinct: 'sessionKey',
    matchingStrategy: 'all',
    page: request.page,
    hitsPerPage: request.hitsPerPage,
    facets: facetsOf(request, options, 'turns'),
    sort: sortFor(request.sort === 'relevance' && request.q.trim() === '' ? { sort: 'newest' } : request, 'sessionStartedAt'),
    attributesToRetrieve: ['sessionId', 'turnIndex'],
    ...highlightParams(true),
  }, request, filterOf);
  const ids = response.hits.map((hit) => hit.sessionId);
  const byId = new Map<string, SessionDocument>();
  if (ids.length > 0) {
    // By document id, which the engine compares exactly.
    const { results } = await deps.engine.fetchDocuments<SessionDocument>(deps.names.sessions, { ids: ids.map(documentKey), fields: SESSION_FIELDS, limit: ids.length });
    for (const doc of results) byId.set(doc.sessionId, doc);
  }
  // The cropped, highlighted text comes in `_formatted` even though `text` itself is not retrieved.
  const matched = new Map(response.hits.map((hit) => [hit.sessionId, { text: wholeWordMarks(hit._formatted?.text ?? ''), turnIndex: hit.turnIndex }]));
  const docs = withinScope(deps, ids.map((id) => byId.get(id)).filter((doc): doc is SessionDocument => doc !== undefined), scope);
  const hits = docs.map((doc): FoundHit => {
    const match = matched.get(doc.sessionId);
    return foundHit(doc, match);
  });
  return { hits, response, stats: statsOf(response, 'turns') };
}

function statsOf(response: PagedSearchResponse<unknown>, index: 'sessions' | 'turns'): Found['stats'] {
  return Object.fromEntries(
    STAT_NAMES.map((name) => {
      const attribute = STAT_ATTRIBUTES[name][index];
      return [name, { distribution: response.facetDistribution?.[attribute], range: response.facetStats?.[attribute] }];
    }),
  ) as Found['stats'];
}

/** A session as a hit: the matched turn as its snippet, or the opening of the conversation without one. */
function foundHit(doc: SessionDocument, match: { text: string; turnIndex: number } | undefined): FoundHit {
  return { ...presentSession(doc), snippet: match ? match.text : (doc.preview ?? ''), matchedTurnIndex: match?.turnIndex ?? null };
}

function addCounts(into: Record<string, number>, counts: Record<string, number>): void {
  for (const [value, count] of Object.entries(counts)) into[value] = (into[value] ?? 0) + count;
}

/** Two disjoint sets of sessions as one: totals and facet counts add up, statistics combine. */
function merged(main: Found, long: Found, hits: FoundHit[], request: SearchRequest): Found {
  const total = (main.response.totalHits ?? 0) + (long.response.totalHits ?? 0);
  const facetDistribution: Record<string, Record<string, number>> = {};
  for (const response of [main.response, long.response]) {
    for (const [attribute, counts] of Object.entries(response.facetDistribution ?? {})) {
      const into = (facetDistribution[attribute] ??= {});
      addCounts(into, counts);
    }
  }
  const stats = Object.fromEntries(
    STAT_NAMES.map((name) => {
      const [a, b] = [main.stats[name], long.stats[name]];
      const distribution: Record<string, number> = { ...a.distribution };
      addCounts(distribution, b.distribution ?? {});
      const ranges = [a.range, b.range].filter((range) => range !== undefined);
      const range = ranges.length === 0 ? undefined : { min: Math.min(...ranges.map((r) => r.min)), max: Math.max(...ranges.map((r) => r.max)) };
      return [name, { distribution, range }];
    }),
  ) as Found['stats'];
  const response = {
    ...main.response,
    facetDistribution,
    totalHits: total,
    totalPages: Math.ceil(total / request.hitsPerPage),
  };
  return { hits, response, stats };
}

/** The session's document; NotFoundError when it is missing or outside the caller's scope (alike). */
export async function findSession(deps: SearchDeps, sessionId: string, scope: Scope = {}): Promise<SessionDocument> {
  const doc = await deps.engine.getDocument<SessionDocument>(deps.names.sessions, documentKey(sessionId), SESSION_FIELDS);
  if (!doc || doc.sessionId !== sessionId || !inScope(doc, scope)) {
    throw new NotFoundError(`No session '${sessionId.slice(0, 100)}'`);
  }
  return doc;
}

/**
 * `/v1/sessions/{id}`: the session and all its turns; 404 when missing or outside the caller's scope.
 * With query text, each turn that matches it carries `highlight` (marked text), so a transcript opened
 * from a hit shows what was searched for.
 */
export async function getSession(deps: SearchDeps, sessionId: string, scope: Scope = {}, q = '') {
  const doc = await findSession(deps, sessionId, scope);
  const [turns, marked] = await Promise.all([sessionTurns(deps, sessionId), q.trim() === '' ? undefined : markedTurns(deps, sessionId, q, doc.turnCount)]);
  const withMarks = marked ? turns.map((turn) => (marked.has(turn.turnIndex) ? { ...turn, highlight: marked.get(turn.turnIndex)! } : turn)) : turns;
  return { ...presentSession(doc), turns: withMarks };
}

/**
 * The session's turns that match `q`, by turn index, marked. Words are dropped from the query, most
 * frequent first, until a turn matches (`frequency`), so a turn with only some of the words is marked
 * too: in a transcript every occurrence of a searched word is worth seeing, not only the full matches.
 */
async function markedTurns(deps: SearchDeps, sessionId: string, q: string, turnCount: number): Promise<Map<number, string>> {
  const response = await deps.engine.search<Pick<TurnDocument, 'sessionId' | 'turnIndex'> & { _formatted?: { text?: string } }>(deps.names.turns, {
    q: engineQuery(q),
    filter: keyedAnyOf('sessionId', [sessionId]),
    limit: Math.max(1, turnCount),
    matchingStrategy: 'frequency',
    attributesToRetrieve: ['sessionId', 'turnIndex'],
    ...highlightParams(false),
  });
  const marked = new Map<number, string>();
  for (const hit of response.hits) {
    const text = hit._formatted?.text;
    if (hit.sessionId === sessionId && text?.includes(MARK_START)) marked.set(hit.turnIndex, wholeWordMarks(text));
  }
  return marked;
}
