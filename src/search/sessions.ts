import { documentKey, type SessionDocument, type TurnDocument } from '../engine/documents.js';
import { MAX_VALUES_PER_FACET } from '../engine/indexes.js';
import { NotFoundError } from '../errors.js';
import { inScope, type Scope } from '../model.js';
import type { SearchRequest } from './params.js';
import { presentSession } from './present.js';
import { highlightParams } from '../engine/highlight.js';
import { buildFilter, sortFor } from './query.js';
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
  const filter = buildFilter(request, viaTurns ? 'sessionTurns' : 'sessions', scope);
  const common = viaTurns ? { q: request.q, filter, distinct: 'sessionKey', matchingStrategy: 'all' as const } : { q: '', filter };
  const statAttributes = Object.values(STAT_ATTRIBUTES).map((names) => (viaTurns ? names.turns : names.sessions));
  const sortAttribute = viaTurns ? 'sessionStartedAt' : 'startedAt';
  const sort = sortFor(request.sort === 'relevance' && request.q.trim() === '' ? { sort: 'newest' } : request, sortAttribute);

  // One query answers the page, the facets and the statistics: with `distinct`, each extra query would
  // pay for collapsing the matching turns into sessions again (the most expensive part of it).
  const main = await deps.engine.search<Record<string, unknown>>(index, {
    ...common,
    page: request.page,
    hitsPerPage: request.hitsPerPage,
    facets: [...new Set([...request.facets.map(facetAttribute), ...statAttributes])],
    sort,
    ...(viaTurns ? { attributesToRetrieve: ['sessionId', 'turnIndex'], ...highlightParams(true) } : { attributesToRetrieve: ['*'] }),
  });

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
      matchedTurn.set(hit.sessionId, { text: hit._formatted?.text ?? '', turnIndex: hit.turnIndex });
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

/** `/v1/sessions/{id}`: the session and all its turns; 404 when missing or outside the caller's scope. */
export async function getSession(deps: SearchDeps, sessionId: string, scope: Scope = {}) {
  const doc = await findSession(deps, sessionId, scope);
  return { ...presentSession(doc), turns: await sessionTurns(deps, sessionId) };
}
