import type { SearchParams } from 'meilisearch';
import type { TurnDocument } from '../engine/documents.js';
import { highlightParams } from '../engine/highlight.js';
import { MAX_TOTAL_HITS } from '../engine/indexes.js';
import { BadRequestError } from '../errors.js';
import type { Scope } from '../model.js';
import type { SearchRequest } from './params.js';
import { buildFilter, engineQuery, sortFor } from './query.js';
import { sessionSearchPages, type SessionHit } from './sessions.js';
import { attachContext, TURN_FIELDS, turnHit, withinScope, type SearchDeps, type TurnHit } from './turns.js';

/*
 * Exports (CONTRACT.md §4b): every match of a search, in the search's order, as the search's own hits,
 * a page at a time, so memory holds a page or two whatever the export's size.
 *
 * How the engine enumerates them: turns without query text by reading documents in the search's
 * order (EngineClient.sortedDocumentPages: ~46,000 turns/s here, and no limit); turns with text by
 * paging the search itself (~9,000 turns/s); sessions by paging the session search (sessions.ts),
 * so each page is exactly what the search answers for it. The engine pages a search through at most
 * `maxTotalHits` (1,000,000) matches: an export of a search matching that many or more is refused
 * before anything is written. The first page is read before the export is handed over, so a failure
 * to start is an ordinary error.
 */

/**
 * What an export writes: how many rows, and the rows a page per call of `next` (undefined once all
 * were given). Pages are read when asked for (the first one is already in hand), and nothing of a page
 * is kept once it is given: pages held between two reads would outlive the young generation and grow
 * the old one by tens of MB over an export before a full collection frees them.
 */
export type ExportPages<T> = {
  /** The `totalHits` of the same search: the rows the export holds if nothing is written meanwhile. */
  total: number;
  next: () => Promise<T[] | undefined>;
};

/**
 * Turns a page. Small enough that a page's documents, hits and text die young (at 1,000 and more a
 * page outlived V8's 4 MB young generation here and the heap grew by 30 MB over an export; at 500 by
 * 1 MB), large enough that the engine's per-request cost stays small against its per-turn cost.
 */
export const EXPORT_PAGE_TURNS = 500;
/** With context, each hit also reads up to 10 turns around it, by a filter that grows with the page. */
const EXPORT_PAGE_TURNS_WITH_CONTEXT = 250;
/** Sessions a page: each page also reads their session documents and, with conditions, their matches. */
const EXPORT_PAGE_SESSIONS = 250;

export async function exportTurns(deps: SearchDeps, request: SearchRequest, scope: Scope = {}): Promise<ExportPages<TurnHit>> {
  const pageSize = request.context > 0 ? EXPORT_PAGE_TURNS_WITH_CONTEXT : EXPORT_PAGE_TURNS;
  const filter = buildFilter(request, 'turns', scope);
  const present = async (docs: Array<TurnDocument & { _formatted?: { text?: string } }>): Promise<TurnHit[]> => {
    const hits = withinScope(deps, docs, scope).map(turnHit);
    if (request.context > 0 && hits.length > 0) await attachContext(deps, hits, request.context);
    return hits;
  };
  if (request.q.trim() === '') {
    // Newest first unless asked otherwise, as the search orders turns when there is no text to rank by.
    const direction = request.sort === 'oldest' ? 'asc' : 'desc';
    const documents = await deps.engine.sortedDocumentPages<TurnDocument>(deps.names.turns, { filter, fields: TURN_FIELDS, attribute: 'timestamp', direction, pageSize });
    const next = mapped(documents.next, present);
    return startingWith(documents.total, await next(), next);
  }
  const params: SearchParams = { q: engineQuery(request.q), filter, matchingStrategy: 'all', sort: sortFor(request, 'timestamp'), attributesToRetrieve: TURN_FIELDS, ...highlightParams(false) };
  return searchPages(deps, deps.names.turns, params, pageSize, present);
}

export async function exportSessions(deps: SearchDeps, request: SearchRequest, scope: Scope = {}): Promise<ExportPages<SessionHit>> {
  const pageOf = await sessionSearchPages(deps, request, scope);
  const first = await pageOf(1, EXPORT_PAGE_SESSIONS);
  refuseBeyondPaging(first.totalHits, 'sessions', 'narrow it with filters or dates to export it');
  let page = 1;
  return startingWith(first.totalHits, first.hits, async () => {
    if (page * EXPORT_PAGE_SESSIONS >= first.totalHits) return undefined;
    page += 1;
    return (await pageOf(page, EXPORT_PAGE_SESSIONS)).hits;
  });
}

/** The engine pages a search through at most MAX_TOTAL_HITS matches: an export it cannot finish is refused before it starts. */
function refuseBeyondPaging(total: number, what: string, advice: string): void {
  if (total < MAX_TOTAL_HITS) return;
  const limit = MAX_TOTAL_HITS.toLocaleString('en');
  throw new BadRequestError(`This search matches ${limit} ${what} or more, and the engine pages a search through at most ${limit} matches: ${advice}`);
}

/** A search read page by page: the first page says how many there are (exactly), the others follow by offset. */
async function searchPages<T, H>(
  deps: SearchDeps,
  index: string,
  params: SearchParams,
  pageSize: number,
  present: (found: T[]) => Promise<H[]>,
): Promise<ExportPages<H>> {
  const first = await deps.engine.search<T>(index, { ...params, page: 1, hitsPerPage: pageSize });
  const total = first.totalHits ?? 0;
  refuseBeyondPaging(total, 'turns', "narrow it with filters or dates to export it (an export of turns without 'q' has no such limit)");
  // Of the next page to read after the first.
  let offset = pageSize;
  const rest = async (): Promise<T[] | undefined> => {
    if (offset >= total) return undefined;
    const at = offset;
    offset += pageSize;
    return (await deps.engine.search<T>(index, { ...params, offset: at, limit: pageSize })).hits;
  };
  return startingWith(total, await present(first.hits), mapped(rest, present));
}

function mapped<T, H>(next: () => Promise<T[] | undefined>, present: (found: T[]) => Promise<H[]>): () => Promise<H[] | undefined> {
  return async () => {
    const found = await next();
    return found === undefined ? undefined : present(found);
  };
}

/**
 * The export of a first page already read (so a failure to start is an error before anything is
 * written), then of what `rest` gives. The first page is let go once given.
 */
function startingWith<H>(total: number, first: H[] | undefined, rest: () => Promise<H[] | undefined>): ExportPages<H> {
  let held = first;
  let started = false;
  return {
    total,
    next: async () => {
      if (started) return rest();
      started = true;
      const page = held;
      held = undefined;
      return page;
    },
  };
}

/**
 * What `next` gives, each next value asked for while the reader handles the one before, so the engine
 * and the writer overlap. Nothing more is asked for once `signal` is aborted.
 */
export function readAhead<H>(next: () => Promise<H | undefined>, signal?: AbortSignal): () => Promise<H | undefined> {
  let ahead: Promise<H | undefined> | undefined;
  const ask = () => {
    ahead = signal?.aborted ? undefined : next();
    // A value fetched for a reader that then stops is dropped: its failure is nobody's to report.
    ahead?.catch(() => undefined);
  };
  ask();
  return async () => {
    if (!ahead) return undefined;
    const value = await ahead;
    if (value === undefined) ahead = undefined;
    else ask();
    return value;
  };
}
