import type { SearchParams } from 'meilisearch';
import { KEYED } from '../engine/documents.js';
import { allOf, keysAnyOf, numberComparison, quote } from '../engine/filter.js';
import { highlightParams, wholeWordMarks } from '../engine/highlight.js';
import { MAX_VALUES_PER_FACET } from '../engine/indexes.js';
import { BadRequestError } from '../errors.js';
import type { Scope } from '../model.js';
import { disjunctiveFacets } from './disjunctive.js';
import type { Conversation, ConversationCondition, SearchFilters, SearchRequest } from './params.js';
import { buildFilter, engineQuery } from './query.js';
import type { SearchDeps } from './turns.js';

/*
 * Conversation conditions (CONTRACT.md §4a) — "the user said X, then the agent said Y; the agent never
 * said Z" — evaluated as turn searches whose session sets are combined in code, then handed to the
 * session search as one more filter clause (`sessionKey IN [...]`), so that paging, facets and
 * statistics still come from the engine, exactly, like any session search's.
 *
 * What things cost, measured on the full SGD corpus (312k turns, Meilisearch 1.21, 2 busy cores): a
 * turn search that only counts costs ~1 ms whatever it matches; the sessions its matches fall in, as
 * a facet distribution of `sessionKey`, ~8 µs per matching turn; its hits, even with two small
 * attributes, ~20 µs per hit; and a `sessionKey IN [...]` filter ~8 µs per key. So every condition is
 * counted first, in one round trip; the sessions of the rarest `said` come from a facet distribution,
 * asked for side by side with those of every condition about as rare; each other condition is
 * evaluated only within the sessions left, when that list is shorter than the condition's own
 * matches; and turn indexes (hits) are fetched only for `order=said`, within the sessions every
 * condition already holds in.
 *
 * Limits: a condition is evaluated on fewer than 20,000 sessions (the engine lists at most
 * MAX_VALUES_PER_FACET facet values, and a list that long may be cut), the sessions left at the end
 * (or excluded, with `notSaid` alone) are fewer than 20,000, and with `order=said` a condition matches
 * at most 100,000 turns within them. Past a limit the search is refused (400) naming it.
 */

/** A turn that satisfies a `said` condition: `condition` is the position of its `said` parameter, from 0. */
export type ConversationMatch = { condition: number; turnIndex: number; highlight: string };

/** Sessions a conversation query may narrow (and exclude): fewer than the engine lists of one facet. */
const MAX_CONDITION_SESSIONS = MAX_VALUES_PER_FACET;

/** Turns one condition may match within the sessions left, when their turn indexes are needed (`order=said`). */
const MAX_CONDITION_TURNS = 100_000;

/** What the conditions leave: a filter clause for the session search, and, with `order=said`, the turns that satisfy them. */
export type ConversationSessions = {
  /** `sessionKey IN [...]` (with `said`) or `NOT sessionKey IN [...]` (with `notSaid` alone); undefined when nothing is excluded. */
  narrow: string | undefined;
  /** With `order=said`: by session key, the turn satisfying each `said` condition, in order. */
  chains?: Map<string, number[]>;
};

type Labeled = ConversationCondition & { label: string; count: number };

function hasConditions(conversation: Conversation | undefined): conversation is Conversation {
  return conversation !== undefined && conversation.said.length + conversation.notSaid.length > 0;
}

/**
 * The sessions the request's conversation conditions hold in, within the caller's scope and the
 * request's filters; undefined without conditions. The filters a disjunctive facet counts without are
 * left out here (the session search applies every filter anyway): those counts need the sessions the
 * conditions hold in under the other filters.
 */
export async function conversationSessions(deps: SearchDeps, request: SearchRequest, scope: Scope): Promise<ConversationSessions | undefined> {
  const conversation = request.conversation;
  if (!hasConditions(conversation)) return undefined;
  const base = conditionsFilter(request, scope);
  const said = conversation.said.map((condition) => ({ ...condition, label: `said=${condition.role}:${condition.text}` }));
  const notSaid = conversation.notSaid.map((condition) => ({ ...condition, label: `notSaid=${condition.role}:${condition.text}` }));
  const counts = await deps.engine.multiSearch(
    [...said, ...notSaid].map((condition) => ({ ...turnQuery(deps, condition, base), page: 1, hitsPerPage: 0 })),
  );
  const counted = (list: Array<ConversationCondition & { label: string }>, offset: number): Labeled[] =>
    list.map((condition, i) => ({ ...condition, count: counts[offset + i]?.totalHits ?? 0 }));
  const saidCounted = counted(said, 0);
  const notSaidCounted = counted(notSaid, said.length);

  const known = await sessionsSayingAtOnce(deps, [...saidCounted, ...notSaidCounted], saidCounted, base);
  let kept: Set<string> | undefined;
  let chains: Map<string, number[]> | undefined;
  if (saidCounted.length > 0) {
    kept = await sessionsSayingAll(deps, saidCounted, base, known);
    if (conversation.ordered && kept.size > 0) {
      chains = await orderedChains(deps, saidCounted, base, kept, conversation.within);
      kept = new Set(chains.keys());
    }
  }
  let excluded = new Set<string>();
  for (const condition of notSaidCounted) {
    if (condition.count === 0 || kept?.size === 0) continue;
    const saying = known.get(condition) ?? (await sessionsSaying(deps, condition, base, kept));
    if (kept) for (const key of saying) kept.delete(key);
    else excluded = new Set([...excluded, ...saying]);
  }
  if (kept) {
    checkSessionCount(kept.size, 'the sessions every condition holds in');
    return { narrow: keysAnyOf('sessionId', [...kept]), chains };
  }
  checkSessionCount(excluded.size, "the sessions 'notSaid' excludes");
  return { narrow: excluded.size > 0 ? `NOT ${keysAnyOf('sessionId', [...excluded])}` : undefined };
}

/** Scope and filters as the conditions are evaluated under: no role (it is `q`'s), no filter a disjunctive facet lifts. */
function conditionsFilter(request: SearchRequest, scope: Scope): string | undefined {
  const filters: SearchFilters = { ...request, role: undefined };
  for (const { filters: lifted } of disjunctiveFacets(request)) {
    for (const key of Object.keys(filters) as Array<keyof SearchFilters>) {
      if (lifted[key] !== request[key]) Object.assign(filters, { [key]: lifted[key] });
    }
  }
  return buildFilter(filters, 'sessionTurns', scope);
}

/** The turn search of a condition, under the given filter clauses; `indexUid` names the turns index for multi-search. */
function turnQuery(deps: SearchDeps, condition: ConversationCondition, ...clauses: Array<string | undefined>): SearchParams & { indexUid: string } {
  return {
    indexUid: deps.names.turns,
    q: engineQuery(condition.text),
    filter: allOf([...clauses, condition.role === 'any' ? undefined : `role = ${quote(condition.role)}`]),
    matchingStrategy: 'all',
  };
}

/**
 * The sessions of the conditions that are about as rare as the rarest `said` one (at most twice its
 * matching turns; every `notSaid` one without a `said`), asked for side by side: each costs about what
 * it would within the sessions the rarest leaves, and the engine answers them at once rather than one
 * after another. The others wait to be asked within the sessions left.
 */
async function sessionsSayingAtOnce(deps: SearchDeps, conditions: Labeled[], said: Labeled[], base: string | undefined): Promise<Map<Labeled, Set<string>>> {
  const rarest = said.length === 0 ? Infinity : Math.min(...said.map((condition) => condition.count));
  const early = conditions.filter((condition) => condition.count > 0 && condition.count < MAX_CONDITION_SESSIONS && condition.count <= 2 * rarest);
  return new Map(await Promise.all(early.map(async (condition) => [condition, await sessionsSaying(deps, condition, base, undefined)] as const)));
}

/** Rarest first, each next one only within the sessions left when those are fewer than its matches. */
async function sessionsSayingAll(deps: SearchDeps, said: Labeled[], base: string | undefined, known: Map<Labeled, Set<string>>): Promise<Set<string>> {
  let kept: Set<string> | undefined;
  for (const condition of [...said].sort((a, b) => a.count - b.count)) {
    if (condition.count === 0) return new Set();
    const saying = known.get(condition) ?? (await sessionsSaying(deps, condition, base, kept));
    kept = kept ? new Set([...kept].filter((key) => saying.has(key))) : saying;
    if (kept.size === 0) return kept;
  }
  return kept ?? new Set();
}

/**
 * The sessions with a turn that satisfies the condition, by exact key. Within `among` when that is
 * the cheaper query (fewer keys to filter on than turns to count) or the only exact one (a condition
 * that may be said in more sessions than a facet lists); the caller intersects either way.
 */
async function sessionsSaying(deps: SearchDeps, condition: Labeled, base: string | undefined, among: Set<string> | undefined): Promise<Set<string>> {
  const within = among && (among.size < condition.count || condition.count >= MAX_CONDITION_SESSIONS) ? keysAnyOf('sessionId', [...among]) : undefined;
  const { indexUid, ...query } = turnQuery(deps, condition, base, within);
  const answer = await deps.engine.search(indexUid, { ...query, page: 1, hitsPerPage: 0, facets: [KEYED.sessionId] });
  const keys = Object.keys(answer.facetDistribution?.[KEYED.sessionId] ?? {});
  // A list as long as the engine lists may have been cut short: it cannot be trusted to be complete.
  if (keys.length >= MAX_CONDITION_SESSIONS) {
    throw new BadRequestError(
      `'${shorten(condition.label)}' is said in ${MAX_CONDITION_SESSIONS.toLocaleString('en')} sessions or more; a conversation condition can narrow fewer: add filters or a more specific condition`,
    );
  }
  return new Set(keys);
}

function checkSessionCount(count: number, what: string): void {
  if (count >= MAX_CONDITION_SESSIONS) {
    throw new BadRequestError(
      `${what.charAt(0).toUpperCase()}${what.slice(1)} are ${count.toLocaleString('en')}; a conversation query can narrow fewer than ${MAX_CONDITION_SESSIONS.toLocaleString('en')}: add filters or a more specific condition`,
    );
  }
}

/** For `order=said`: each session's chain of turns, of the sessions that have one. */
async function orderedChains(deps: SearchDeps, said: Labeled[], base: string | undefined, kept: Set<string>, within: number | undefined): Promise<Map<string, number[]>> {
  const among = keysAnyOf('sessionId', [...kept]);
  const answers = await deps.engine.multiSearch<{ sessionKey: string; turnIndex: number }>(
    said.map((condition) => ({
      ...turnQuery(deps, condition, base, among),
      page: 1,
      hitsPerPage: MAX_CONDITION_TURNS,
      attributesToRetrieve: [KEYED.sessionId, 'turnIndex'],
    })),
  );
  const positions = said.map((condition, i) => {
    const answer = answers[i]!;
    if ((answer.totalHits ?? 0) > MAX_CONDITION_TURNS) {
      throw new BadRequestError(
        `'${shorten(condition.label)}' matches ${answer.totalHits!.toLocaleString('en')} turns in the sessions the other conditions leave; with order=said a condition can match at most ${MAX_CONDITION_TURNS.toLocaleString('en')}: add filters or a more specific condition`,
      );
    }
    const bySession = new Map<string, number[]>();
    for (const hit of answer.hits) {
      const list = bySession.get(hit.sessionKey);
      if (list) list.push(hit.turnIndex);
      else bySession.set(hit.sessionKey, [hit.turnIndex]);
    }
    return bySession;
  });
  const chains = new Map<string, number[]>();
  for (const key of kept) {
    const chain = orderedChain(positions.map((bySession) => (bySession.get(key) ?? []).sort((a, b) => a - b)), within);
    if (chain) chains.set(key, chain);
  }
  return chains;
}

/**
 * One turn per condition, each later than the one before and at most `within` turns after it, given
 * each condition's turn indexes in ascending order; undefined when the session has no such chain. Of
 * the chains, the one that ends first, each earlier turn the latest that still leads to the next: the
 * tightest exchange that satisfies the conditions.
 */
export function orderedChain(positions: ReadonlyArray<readonly number[]>, within = Infinity): number[] | undefined {
  // reachable[i]: the turns of condition i that end a chain of conditions 0..i, ascending.
  const reachable: number[][] = [];
  for (const turns of positions) {
    const previous = reachable.at(-1);
    let ends: number[];
    if (!previous) {
      ends = [...turns];
    } else {
      ends = [];
      // Turns and their earliest allowed predecessor only grow, so one pass over `previous` serves all.
      let first = 0;
      for (const turn of turns) {
        while (first < previous.length && previous[first]! < turn - within) first++;
        if (first < previous.length && previous[first]! < turn) ends.push(turn);
      }
    }
    if (ends.length === 0) return undefined;
    reachable.push(ends);
  }
  const last = reachable.at(-1);
  if (!last) return [];
  const chain = [last[0]!];
  for (let i = reachable.length - 2; i >= 0; i--) {
    const next = chain[0]!;
    // The latest turn before `next` is within reach of it whenever any is, since `next` was reachable.
    chain.unshift(reachable[i]!.findLast((turn) => turn < next)!);
  }
  return chain;
}

/**
 * For each session key, a highlighted turn per `said` condition: with chains (`order=said`), the turns
 * of its chain; otherwise its first turn that satisfies the condition. One engine round trip.
 */
export async function conversationMatches(
  deps: SearchDeps,
  request: SearchRequest,
  scope: Scope,
  sessionKeys: readonly string[],
  chains: Map<string, number[]> | undefined,
): Promise<Map<string, ConversationMatch[]>> {
  const matches = new Map<string, ConversationMatch[]>();
  const said = request.conversation?.said ?? [];
  if (said.length === 0 || sessionKeys.length === 0) return matches;
  const base = conditionsFilter(request, scope);
  const queries = said.map((condition, i): SearchParams & { indexUid: string } => {
    const shown = { ...highlightParams(true), attributesToRetrieve: [KEYED.sessionId, 'turnIndex'], page: 1, hitsPerPage: sessionKeys.length };
    if (!chains) {
      // Sorted by turn index (the sort rule ranks first), one hit per session: its first such turn.
      return { ...turnQuery(deps, condition, base, keysAnyOf('sessionId', sessionKeys)), ...shown, distinct: KEYED.sessionId, sort: ['turnIndex:asc'] };
    }
    const turns = sessionKeys.flatMap((key) => {
      const turn = chains.get(key)?.[i];
      return turn === undefined ? [] : [`(${allOf([keysAnyOf('sessionId', [key]), numberComparison('turnIndex', '=', turn)])})`];
    });
    return { ...turnQuery(deps, condition, base, turns.join(' OR ')), ...shown };
  });
  const answers = await deps.engine.multiSearch<{ sessionKey: string; turnIndex: number; _formatted?: { text?: string } }>(queries);
  answers.forEach((answer, condition) => {
    for (const hit of answer.hits) {
      const list = matches.get(hit.sessionKey) ?? [];
      list.push({ condition, turnIndex: hit.turnIndex, highlight: wholeWordMarks(hit._formatted?.text ?? '') });
      matches.set(hit.sessionKey, list);
    }
  });
  return matches;
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
