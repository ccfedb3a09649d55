import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import type { TurnDocument } from '../ingest/flatten.js';
import { anyOf, allOf, numberComparison, quote } from './filter.js';
import type { SearchRequest } from './params.js';
import { presentTurn, type TurnView } from './present.js';
import { buildFilter, highlightParams, markedHtml, sortFor, type Scope } from './query.js';
import { searchPage, type SearchPage } from './results.js';

export type SearchDeps = { engine: EngineClient; names: IndexNames };

export type TurnHit = TurnView & { highlight: string; context?: { before: TurnView[]; after: TurnView[] } };

const TURN_FIELDS = [
  'sessionId', 'turnIndex', 'role', 'text', 'timestamp', 'offsetSeconds', 'companionId', 'externalClientId', 'tenantId', 'tags',
];

/** `/v1/search/turns`: one hit per utterance, facet counts count turns. */
export async function searchTurns(deps: SearchDeps, request: SearchRequest, scope: Scope = {}): Promise<SearchPage<TurnHit>> {
  const response = await deps.engine.search<TurnDocument & { _formatted?: { text?: string } }>(deps.names.turns, {
    q: request.q,
    filter: buildFilter(request, 'turns', scope),
    page: request.page,
    hitsPerPage: request.hitsPerPage,
    facets: request.facets,
    // Without query text there is no relevance to rank by: newest first is what a person expects.
    sort: sortFor(request.sort === 'relevance' && request.q.trim() === '' ? { sort: 'newest' } : request, 'timestamp'),
    matchingStrategy: 'all',
    attributesToRetrieve: TURN_FIELDS,
    ...highlightParams(false),
  });
  const hits: TurnHit[] = response.hits.map((doc) => ({
    ...presentTurn(doc),
    highlight: markedHtml(doc._formatted?.text ?? doc.text),
  }));
  if (request.context > 0 && hits.length > 0) await attachContext(deps, hits, request.context);
  return searchPage(hits, response, request);
}

/** The turns around each hit, fetched for all hits in one engine call. */
async function attachContext(deps: SearchDeps, hits: TurnHit[], radius: number): Promise<void> {
  const ranges = hits.map((hit) =>
    allOf([
      `sessionId = ${quote(hit.sessionId)}`,
      numberComparison('turnIndex', '>=', Math.max(0, hit.turnIndex - radius)),
      numberComparison('turnIndex', '<=', hit.turnIndex + radius),
    ]),
  );
  const { results } = await deps.engine.fetchDocuments<TurnDocument>(deps.names.turns, {
    filter: ranges.map((range) => `(${range})`).join(' OR '),
    fields: TURN_FIELDS,
    limit: hits.length * (2 * radius + 1),
  });
  const bySession = new Map<string, TurnDocument[]>();
  for (const doc of results) {
    const list = bySession.get(doc.sessionId) ?? [];
    list.push(doc);
    bySession.set(doc.sessionId, list);
  }
  for (const list of bySession.values()) list.sort((a, b) => a.turnIndex - b.turnIndex);
  for (const hit of hits) {
    const turns = bySession.get(hit.sessionId) ?? [];
    hit.context = {
      before: turns.filter((t) => t.turnIndex < hit.turnIndex && t.turnIndex >= hit.turnIndex - radius).map(presentTurn),
      after: turns.filter((t) => t.turnIndex > hit.turnIndex && t.turnIndex <= hit.turnIndex + radius).map(presentTurn),
    };
  }
}

/** All turns of one session, in order; paged because a long call may have many thousands. */
export async function sessionTurns(deps: SearchDeps, sessionId: string): Promise<TurnView[]> {
  const turns: TurnDocument[] = [];
  const limit = 10_000;
  for (let offset = 0; ; offset += limit) {
    const page = await deps.engine.fetchDocuments<TurnDocument>(deps.names.turns, {
      filter: anyOf('sessionId', [sessionId]),
      fields: TURN_FIELDS,
      limit,
      offset,
    });
    turns.push(...page.results);
    if (offset + limit >= page.total) break;
  }
  return turns.sort((a, b) => a.turnIndex - b.turnIndex).map(presentTurn);
}
