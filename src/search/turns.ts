import type { EngineClient } from '../engine/client.js';
import type { TurnDocument } from '../engine/documents.js';
import { allOf, keyedAnyOf, numberComparison } from '../engine/filter.js';
import type { IndexNames } from '../engine/indexes.js';
import { inScope, type Scope } from '../model.js';
import type { Logger } from '../logger.js';
import type { SearchFilters, SearchRequest } from './params.js';
import { presentTurn, type TurnView } from './present.js';
import { highlightParams, wholeWordMarks } from '../engine/highlight.js';
import { searchWithFacets } from './disjunctive.js';
import { buildFilter, engineQuery, sortFor } from './query.js';
import { facetAttribute, searchPage, type SearchPage } from './results.js';

export type SearchDeps = { engine: EngineClient; names: IndexNames; log?: Logger };

export type TurnHit = TurnView & { highlight: string; context?: { before: TurnView[]; after: TurnView[] } };

/** What a turn hit shows of a turn document. */
export const TURN_FIELDS = [
  'sessionId', 'turnIndex', 'role', 'text', 'timestamp', 'offsetSeconds', 'companionId', 'externalClientId', 'tenantId', 'tags',
];

/**
 * Documents the engine returned for a scoped filter, checked again in code: the filter is exact, and
 * this is the second lock on the same door. A document that fails it is dropped and logged, never shown.
 */
export function withinScope<T extends Pick<TurnDocument, 'companionId' | 'tenantId' | 'externalClientId'>>(
  deps: SearchDeps,
  docs: T[],
  scope: Scope,
): T[] {
  const kept = docs.filter((doc) => inScope(doc, scope));
  if (kept.length < docs.length) deps.log?.error('engine returned documents outside the caller scope', { dropped: docs.length - kept.length });
  return kept;
}

/**
 * `/v1/search/turns`: one hit per utterance, facet counts count turns. `narrow` is one more engine
 * filter, for callers inside the service (a tracker evaluating one arrival of documents).
 */
export async function searchTurns(deps: SearchDeps, request: SearchRequest, scope: Scope = {}, narrow?: string): Promise<SearchPage<TurnHit>> {
  const filterOf = (filters: SearchFilters) => allOf([buildFilter(filters, 'turns', scope), narrow]);
  const response = await searchWithFacets<TurnDocument & { _formatted?: { text?: string } }>(deps.engine, deps.names.turns, {
    q: engineQuery(request.q),
    filter: filterOf(request),
    page: request.page,
    hitsPerPage: request.hitsPerPage,
    facets: request.facets.map(facetAttribute),
    // Without query text there is no relevance to rank by: newest first is what a person expects.
    sort: sortFor(request.sort === 'relevance' && request.q.trim() === '' ? { sort: 'newest' } : request, 'timestamp'),
    matchingStrategy: 'all',
    attributesToRetrieve: TURN_FIELDS,
    ...highlightParams(false),
  }, request, filterOf);
  const hits = withinScope(deps, response.hits, scope).map(turnHit);
  if (request.context > 0 && hits.length > 0) await attachContext(deps, hits, request.context);
  return searchPage(hits, response, request);
}

/** How many turns each search matches (within its scope, and `narrow`), in one engine round trip. */
export async function countTurns(deps: SearchDeps, searches: ReadonlyArray<{ request: SearchRequest; scope: Scope }>, narrow?: string): Promise<number[]> {
  if (searches.length === 0) return [];
  const answers = await deps.engine.multiSearch(
    searches.map(({ request, scope }) => ({
      indexUid: deps.names.turns,
      q: engineQuery(request.q),
      filter: allOf([buildFilter(request, 'turns', scope), narrow]),
      matchingStrategy: 'all' as const,
      page: 1,
      hitsPerPage: 0,
    })),
  );
  return answers.map((answer) => answer.totalHits ?? 0);
}

/**
 * A turn document the engine found → a hit; without query text there is nothing marked, and the
 * highlight is the text. The field is added to the view rather than spread with it into a new
 * literal: V8 makes such objects slow and large (measured: exporting 150k turns grew the heap by
 * 33 MB that way, by 3 MB this way).
 */
export function turnHit(doc: TurnDocument & { _formatted?: { text?: string } }): TurnHit {
  return Object.assign(presentTurn(doc), { highlight: wholeWordMarks(doc._formatted?.text ?? doc.text) });
}

/** The turns around each hit (of the hit's own session, exactly), fetched for all hits in one engine call. */
export async function attachContext(deps: SearchDeps, hits: TurnHit[], radius: number): Promise<void> {
  const ranges = hits.map((hit) =>
    allOf([
      keyedAnyOf('sessionId', [hit.sessionId]),
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
  const filter = keyedAnyOf('sessionId', [sessionId]);
  for await (const doc of deps.engine.documents<TurnDocument>(deps.names.turns, { filter, fields: TURN_FIELDS })) {
    // The key is exact; the id is compared too, so no other session's turn can ever slip in.
    if (doc.sessionId === sessionId) turns.push(doc);
  }
  return turns.sort((a, b) => a.turnIndex - b.turnIndex).map(presentTurn);
}
