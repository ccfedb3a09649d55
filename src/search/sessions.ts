import { documentKey, type SessionDocument, type TurnDocument } from '../engine/documents.js';
import { MAX_VALUES_PER_FACET } from '../engine/indexes.js';
import { NotFoundError } from '../errors.js';
import { inScope, type Scope } from '../model.js';
import type { SearchFilters, SearchRequest } from './params.js';
import { presentSession } from './present.js';
import { highlightParams, MARK_START, wholeWordMarks } from '../engine/highlight.js';
import { keyedAnyOf } from '../engine/filter.js';
import { searchWithFacets } from './disjunctive.js';
import { buildFilter, engineQuery, sortFor } from './query.js';
import { facetAttribute, numberStats, searchPage, type NumberStats, type SearchPage } from './results.js';
import { sessionTurns, withinScope, type SearchDeps } from './turns.js';

export type SessionHit = ReturnType<typeof presentSession> & { snippet: string; matchedTurnIndex: number | null };

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
 * `/v1/search/sessions`: one hit per session. With query text or a role, the turns index answers with
 * `distinct: sessionKey` (the exact key of the session id) — a session matches when one of its turns (said by that role) matches, and the
 * engine counts hits and facet values per session, exactly. Otherwise the sessions index answers
 * directly. Statistics come from numeric facets of the same query.
 */
export async function searchSessions(
  deps: SearchDeps,
  request: SearchRequest,
  scope: Scope = {},
): Promise<SearchPage<SessionHit> & { stats: SessionStats }> {
  const viaTurns = request.q.trim() !== '' || request.role !== undefined;
  const index = viaTurns ? deps.names.turns : deps.names.sessions;
  const filterOf = (filters: SearchFilters) => buildFilter(filters, viaTurns ? 'sessionTurns' : 'sessions', scope);
  const filter = filterOf(request);
  const common = viaTurns ? { q: engineQuery(request.q), filter, distinct: 'sessionKey', matchingStrategy: 'all' as const } : { q: '', filter };
  const statAttributes = Object.values(STAT_ATTRIBUTES).map((names) => (viaTurns ? names.turns : names.sessions));
  const sortAttribute = viaTurns ? 'sessionStartedAt' : 'startedAt';
  const sort = sortFor(request.sort === 'relevance' && request.q.trim() === '' ? { sort: 'newest' } : request, sortAttribute);

  // One query answers the page, the facets and the statistics: with `distinct`, each extra query would
  // pay for collapsing the matching turns into sessions again (the most expensive part of it).
  // (Disjunctive facets are counted by extra queries in the same round trip; they are asked for by a
  // page with a facet selected, and each pays for its own collapsing.)
  const main = await searchWithFacets<Record<string, unknown>>(deps.engine, index, {
    ...common,
    page: request.page,
    hitsPerPage: request.hitsPerPage,
    facets: [...new Set([...request.facets.map(facetAttribute), ...statAttributes])],
    sort,
    ...(viaTurns ? { attributesToRetrieve: ['sessionId', 'turnIndex'], ...highlightParams(true) } : { attributesToRetrieve: ['*'] }),
  }, request, filterOf);

  let sessions: SessionDocument[];
  if (viaTurns) {
    const ids = main.hits.map((hit) => (hit as unknown as TurnDocument).sessionId);
    const byId = new Map<string, SessionDocument>();
    if (ids.length > 0) {
      // By document id, which the engine compares exactly.
      const { results } = await deps.engine.fetchDocuments<SessionDocument>(deps.names.sessions, { ids: ids.map(documentKey), limit: ids.length });
      for (const doc of results) byId.set(doc.sessionId, doc);
    }
    sessions = ids.map((id) => byId.get(id)).filter((doc): doc is SessionDocument => doc !== undefined);
  } else {
    sessions = main.hits as unknown as SessionDocument[];
  }
  sessions = withinScope(deps, sessions, scope);

  const matchedTurn = new Map<string, { text: string; turnIndex: number }>();
  if (viaTurns) {
    // The cropped, highlighted text comes in `_formatted` even though `text` itself is not retrieved.
    for (const hit of main.hits as unknown as Array<Pick<TurnDocument, 'sessionId' | 'turnIndex'> & { _formatted?: { text?: string } }>) {
      matchedTurn.set(hit.sessionId, { text: wholeWordMarks(hit._formatted?.text ?? ''), turnIndex: hit.turnIndex });
    }
  }
  const hits = sessions.map((doc): SessionHit => {
    const match = matchedTurn.get(doc.sessionId);
    return {
      ...presentSession(doc),
      snippet: match ? match.text : (doc.preview ?? ''),
      matchedTurnIndex: match?.turnIndex ?? null,
    };
  });

  const stats = { count: main.totalHits ?? 0 } as SessionStats;
  for (const [name, attributes] of Object.entries(STAT_ATTRIBUTES) as Array<[StatName, (typeof STAT_ATTRIBUTES)[StatName]]>) {
    const attribute = viaTurns ? attributes.turns : attributes.sessions;
    stats[name] = numberStats(main.facetDistribution?.[attribute], main.facetStats?.[attribute], MAX_VALUES_PER_FACET);
  }
  return { ...searchPage(hits, main, request), stats };
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
