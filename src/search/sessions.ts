import type { SearchParams } from 'meilisearch';
import { documentKey, KEYED, type SessionDocument, type TurnDocument } from '../engine/documents.js';
import { MAX_VALUES_PER_FACET } from '../engine/indexes.js';
import { NotFoundError } from '../errors.js';
import { inScope, type Scope } from '../model.js';
import type { SearchFilters, SearchRequest } from './params.js';
import { presentSession } from './present.js';
import { highlightParams, MARK_START, wholeWordMarks } from '../engine/highlight.js';
import { allOf, keyedAnyOf } from '../engine/filter.js';
import { conversationMatches, conversationSessions, type ConversationMatch, type ConversationSessions } from './conversation.js';
import { searchWithFacets } from './disjunctive.js';
import { buildFilter, engineQuery, sortFor } from './query.js';
import { facetAttribute, numberStats, searchPage, type NumberStats, type SearchPage } from './results.js';
import { sessionTurns, withinScope, type SearchDeps } from './turns.js';

export type SessionHit = ReturnType<typeof presentSession> & { snippet: string; matchedTurnIndex: number | null; matches: ConversationMatch[] };

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

export type SessionStats = { count: number } & Record<StatName, NumberStats>;

/**
 * How the engine answers a session search, whatever page of it is asked for. With query text or a
 * role, the turns index answers with `distinct: sessionKey` (the exact key of the session id) — a
 * session matches when one of its turns (said by that role) matches, and the engine counts hits and
 * facet values per session, exactly. Otherwise the sessions index answers directly. Conversation
 * conditions narrow either to the sessions they hold in.
 */
export type SessionQuery = {
  viaTurns: boolean;
  index: string;
  /** The engine filter of a set of filters: scope, the filters, the conversation's sessions. */
  filterOf: (filters: SearchFilters) => string | undefined;
  /** Every parameter but paging and facets. */
  params: SearchParams;
  conversation: ConversationSessions | undefined;
};

export async function sessionQuery(deps: SearchDeps, request: SearchRequest, scope: Scope): Promise<SessionQuery> {
  const conversation = await conversationSessions(deps, request, scope);
  const viaTurns = request.q.trim() !== '' || request.role !== undefined;
  const filterOf = (filters: SearchFilters) => allOf([buildFilter(filters, viaTurns ? 'sessionTurns' : 'sessions', scope), conversation?.narrow]);
  const sort = sortFor(request.sort === 'relevance' && request.q.trim() === '' ? { sort: 'newest' } : request, viaTurns ? 'sessionStartedAt' : 'startedAt');
  const params: SearchParams = viaTurns
    ? {
        q: engineQuery(request.q),
        filter: filterOf(request),
        distinct: KEYED.sessionId,
        matchingStrategy: 'all',
        sort,
        attributesToRetrieve: ['sessionId', 'turnIndex'],
        ...highlightParams(true),
      }
    : { q: '', filter: filterOf(request), sort, attributesToRetrieve: ['*'] };
  return { viaTurns, index: viaTurns ? deps.names.turns : deps.names.sessions, filterOf, params, conversation };
}

/**
 * `/v1/search/sessions`: one hit per session (see SessionQuery). Statistics come from numeric facets
 * of the same query.
 */
export async function searchSessions(
  deps: SearchDeps,
  request: SearchRequest,
  scope: Scope = {},
): Promise<SearchPage<SessionHit> & { stats: SessionStats }> {
  const query = await sessionQuery(deps, request, scope);
  const statAttributes = Object.values(STAT_ATTRIBUTES).map((names) => (query.viaTurns ? names.turns : names.sessions));
  // One query answers the page, the facets and the statistics: with `distinct`, each extra query would
  // pay for collapsing the matching turns into sessions again (the most expensive part of it).
  // (Disjunctive facets are counted by extra queries in the same round trip; they are asked for by a
  // page with a facet selected, and each pays for its own collapsing.)
  const main = await searchWithFacets<Record<string, unknown>>(deps.engine, query.index, {
    ...query.params,
    page: request.page,
    hitsPerPage: request.hitsPerPage,
    facets: [...new Set([...request.facets.map(facetAttribute), ...statAttributes])],
  }, request, query.filterOf);
  const hits = await sessionHits(deps, request, scope, query, main.hits);

  const stats = { count: main.totalHits ?? 0 } as SessionStats;
  for (const [name, attributes] of Object.entries(STAT_ATTRIBUTES) as Array<[StatName, (typeof STAT_ATTRIBUTES)[StatName]]>) {
    const attribute = query.viaTurns ? attributes.turns : attributes.sessions;
    stats[name] = numberStats(main.facetDistribution?.[attribute], main.facetStats?.[attribute], MAX_VALUES_PER_FACET);
  }
  return { ...searchPage(hits, main, request), stats };
}

/**
 * What the engine answered a session query with (matching turns, or session documents) → session
 * hits in the same order: the session, the matched turn as snippet, and a turn per `said` condition.
 */
export async function sessionHits(
  deps: SearchDeps,
  request: SearchRequest,
  scope: Scope,
  query: SessionQuery,
  found: ReadonlyArray<Record<string, unknown>>,
): Promise<SessionHit[]> {
  let sessions: SessionDocument[];
  const matchedTurn = new Map<string, { text: string; turnIndex: number }>();
  if (query.viaTurns) {
    // The cropped, highlighted text comes in `_formatted` even though `text` itself is not retrieved.
    const turns = found as unknown as Array<Pick<TurnDocument, 'sessionId' | 'turnIndex'> & { _formatted?: { text?: string } }>;
    const byId = new Map<string, SessionDocument>();
    if (turns.length > 0) {
      // By document id, which the engine compares exactly.
      const { results } = await deps.engine.fetchDocuments<SessionDocument>(deps.names.sessions, { ids: turns.map((turn) => documentKey(turn.sessionId)), limit: turns.length });
      for (const doc of results) byId.set(doc.sessionId, doc);
    }
    sessions = turns.map((turn) => byId.get(turn.sessionId)).filter((doc): doc is SessionDocument => doc !== undefined);
    for (const turn of turns) matchedTurn.set(turn.sessionId, { text: wholeWordMarks(turn._formatted?.text ?? ''), turnIndex: turn.turnIndex });
  } else {
    sessions = found as unknown as SessionDocument[];
  }
  sessions = withinScope(deps, sessions, scope);
  const matches = await conversationMatches(deps, request, scope, sessions.map((doc) => doc.sessionKey), query.conversation?.chains);
  return sessions.map((doc): SessionHit => {
    const match = matchedTurn.get(doc.sessionId);
    // Added to the view, not spread with it into a new literal (see `turnHit`).
    return Object.assign(presentSession(doc), {
      snippet: match ? match.text : (doc.preview ?? ''),
      matchedTurnIndex: match?.turnIndex ?? null,
      matches: (matches.get(doc.sessionKey) ?? []).sort((a, b) => a.condition - b.condition),
    });
  });
}

/** The session's document; NotFoundError when it is missing or outside the caller's scope (alike). */
export async function findSession(deps: SearchDeps, sessionId: string, scope: Scope = {}): Promise<SessionDocument> {
  const doc = await deps.engine.getDocument<SessionDocument>(deps.names.sessions, documentKey(sessionId));
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
