import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { AGENTS_CORPUS, containsPhrase, loadCorpus, NAPSTER_CORPUS, type AgentCorpusRecord, type NapsterCorpusRecord } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { engineEqualVariants } from '../support/hostile.js';

/**
 * Conversation conditions (CONTRACT.md §4a) against truth computed by scanning the raw corpus records
 * of both vendor shapes: for every query, the API must return exactly the sessions whose transcript
 * satisfies the conditions, count them exactly, and show for each `said` a turn that satisfies it.
 * Conditions are quoted phrases, whose matching is exact, so the truth is exact too.
 */
type Role = 'user' | 'agent';
type Session = { id: string; source: 'napster' | 'agents'; companionId: string; tags: string[]; turns: Array<{ role: Role; text: string }> };
type Condition = { role: Role | 'any'; phrase: string };
type Match = { condition: number; turnIndex: number; highlight: string };
type Hit = { sessionId: string; turnCount: number; companionId: string; tags: Record<string, string>; matches: Match[] };
type Page = { hits: Hit[]; totalHits: number; totalPages: number; facets: Record<string, Record<string, number>>; stats: { count: number; turnCount: { sum: number } } };

const NAPSTER_SESSIONS = 2_000;
const AGENT_SESSIONS = 600;
const KEY = 'conversation-scoped-search-key-0123';

let engine: TestEngine;
let app: ReturnType<typeof createApp>;
let scoped: ReturnType<typeof createApp>;
let sessions: Session[];
let scope: string;

const satisfies = (turn: { role: Role; text: string }, condition: Condition) =>
  (condition.role === 'any' || turn.role === condition.role) && containsPhrase(turn.text, condition.phrase);
const turnsSaying = (session: Session, condition: Condition) => session.turns.flatMap((turn, i) => (satisfies(turn, condition) ? [i] : []));

/** Whether turns of the conditions, in order, each at most `within` after the one before, exist: tried turn by turn. */
function inOrder(session: Session, said: Condition[], within = Infinity, from = -1, index = 0): boolean {
  if (index === said.length) return true;
  return turnsSaying(session, said[index]!).some((turn) => turn > from && (from < 0 || turn - from <= within) && inOrder(session, said, within, turn, index + 1));
}

function truth(said: Condition[], notSaid: Condition[] = [], order?: { within?: number }): Session[] {
  return sessions.filter(
    (session) =>
      said.every((condition) => turnsSaying(session, condition).length > 0) &&
      !notSaid.some((condition) => turnsSaying(session, condition).length > 0) &&
      (!order || inOrder(session, said, order.within)),
  );
}

const param = (name: string, condition: Condition) => `${name}=${encodeURIComponent(`${condition.role}:"${condition.phrase}"`)}`;
const conditions = (said: Condition[], notSaid: Condition[] = []) => [...said.map((c) => param('said', c)), ...notSaid.map((c) => param('notSaid', c))].join('&');

async function page(url: string, on = app, headers: Record<string, string> = {}): Promise<Page> {
  const response = await on.request(url, { headers });
  expect(response.status, `${url}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as Page;
}

/** Every hit of a session search, page by page. */
async function allHits(query: string, on = app, headers: Record<string, string> = {}): Promise<{ hits: Hit[]; totalHits: number }> {
  const first = await page(`/v1/search/sessions?${query}&hitsPerPage=100`, on, headers);
  const hits = [...first.hits];
  for (let n = 2; n <= first.totalPages; n++) hits.push(...(await page(`/v1/search/sessions?${query}&hitsPerPage=100&page=${n}`, on, headers)).hits);
  return { hits, totalHits: first.totalHits };
}

const ids = (list: Array<{ id: string } | { sessionId: string }>) => new Set(list.map((item) => ('id' in item ? item.id : item.sessionId)));
const byId = (id: string) => sessions.find((session) => session.id === id)!;

beforeAll(async () => {
  const napster = await loadCorpus<NapsterCorpusRecord>(NAPSTER_CORPUS, NAPSTER_SESSIONS);
  const agents = await loadCorpus<AgentCorpusRecord>(AGENTS_CORPUS, AGENT_SESSIONS);
  sessions = [
    ...napster.map((s): Session => ({
      id: s.id, source: 'napster', companionId: s.companionId, tags: Object.entries(s.tags).map(([k, v]) => `${k}:${v}`),
      turns: s.conversation.items.map((item) => ({ role: item.role, text: item.text })),
    })),
    ...agents.map((s): Session => ({
      id: s.session_id, source: 'agents', companionId: s.character_slug, tags: [],
      turns: s.transcript.map((turn) => ({ role: turn.role === 'assistant' ? 'agent' : 'user', text: turn.text })),
    })),
  ];
  scope = napster[0]!.companionId;
  engine = await createTestEngine('conversation');
  await writeSessions(engine.ingest, [...napster, ...agents].map(parseVendorSession), { wait: true });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  scoped = createApp({ engine: engine.client, names: engine.names, log: silentLogger, keys: new ApiKeys([{ key: KEY, name: 'scoped', role: 'search', companions: [scope] }]) });
});

afterAll(async () => {
  await engine?.drop();
});

const WOULD_LIKE: Condition = { role: 'user', phrase: 'i would like' };
const CONFIRM: Condition = { role: 'agent', phrase: 'confirm' };
const YES: Condition = { role: 'user', phrase: 'yes' };
const OKAY: Condition = { role: 'agent', phrase: 'okay' };

describe('said', () => {
  it('finds exactly the sessions in which every condition holds, in both vendor shapes, with the first turn satisfying each', async () => {
    const expected = truth([WOULD_LIKE, CONFIRM]);
    expect(new Set(expected.map((s) => s.source))).toEqual(new Set(['napster', 'agents']));
    const { hits, totalHits } = await allHits(conditions([WOULD_LIKE, CONFIRM]));
    expect(totalHits).toBe(expected.length);
    expect(ids(hits)).toEqual(ids(expected));
    for (const hit of hits) {
      const session = byId(hit.sessionId);
      expect(hit.matches.map((m) => [m.condition, m.turnIndex])).toEqual([
        [0, turnsSaying(session, WOULD_LIKE)[0]],
        [1, turnsSaying(session, CONFIRM)[0]],
      ]);
      for (const match of hit.matches) expect(match.highlight, hit.sessionId).toMatch(/<mark>/);
    }
  });

  it("reads 'any' as either side, and an agent's words as the agents API's assistant", async () => {
    const thanks: Condition = { role: 'any', phrase: 'thank you' };
    const expected = truth([thanks]);
    expect(expected.some((s) => s.source === 'agents' && s.turns.some((t) => t.role === 'agent' && containsPhrase(t.text, 'thank you')))).toBe(true);
    const { hits, totalHits } = await allHits(conditions([thanks]));
    expect(totalHits).toBe(expected.length);
    expect(ids(hits)).toEqual(ids(expected));
  });
});

describe('notSaid', () => {
  it('leaves out the sessions in which a negated condition holds', async () => {
    const expected = truth([YES], [OKAY]);
    const { hits, totalHits } = await allHits(conditions([YES], [OKAY]));
    expect(totalHits).toBe(expected.length);
    expect(ids(hits)).toEqual(ids(expected));
    for (const hit of hits) expect(hit.matches.map((m) => m.condition)).toEqual([0]);
  });

  it('alone, keeps every session in which no negated condition holds', async () => {
    const expected = truth([], [OKAY, { role: 'agent', phrase: 'sure' }]);
    const { hits, totalHits } = await allHits(conditions([], [OKAY, { role: 'agent', phrase: 'sure' }]));
    expect(totalHits).toBe(expected.length);
    expect(totalHits).toBeGreaterThan(sessions.length / 2);
    expect(ids(hits)).toEqual(ids(expected));
    expect(hits.every((hit) => hit.matches.length === 0)).toBe(true);
  });
});

describe('order=said and within', () => {
  it('holds the conditions on turns in the order given, and shows the chain that ends first', async () => {
    const said = [WOULD_LIKE, CONFIRM];
    const expected = truth(said, [], {});
    expect(expected.length).toBeLessThan(truth(said).length);
    const { hits, totalHits } = await allHits(`${conditions(said)}&order=said`);
    expect(totalHits).toBe(expected.length);
    expect(ids(hits)).toEqual(ids(expected));
    for (const hit of hits) {
      const session = byId(hit.sessionId);
      const [first, second] = hit.matches;
      expect(satisfies(session.turns[first!.turnIndex]!, WOULD_LIKE)).toBe(true);
      expect(satisfies(session.turns[second!.turnIndex]!, CONFIRM)).toBe(true);
      expect(first!.turnIndex).toBeLessThan(second!.turnIndex);
      // Ends first: the earliest agent confirmation that follows a "would like".
      const firstLike = turnsSaying(session, WOULD_LIKE)[0]!;
      expect(second!.turnIndex).toBe(turnsSaying(session, CONFIRM).find((turn) => turn > firstLike));
    }
  });

  it('holds each turn at most N turns after the one before with within=N, over three conditions', async () => {
    const said = [WOULD_LIKE, CONFIRM, YES];
    for (const within of [1, 2, 4]) {
      const expected = truth(said, [], { within });
      const { hits, totalHits } = await allHits(`${conditions(said)}&order=said&within=${within}`);
      expect(totalHits, `within=${within}`).toBe(expected.length);
      expect(ids(hits)).toEqual(ids(expected));
      for (const hit of hits) {
        const turns = hit.matches.map((m) => m.turnIndex);
        turns.slice(1).forEach((turn, i) => expect(turn - turns[i]!).toBeGreaterThan(0));
        turns.slice(1).forEach((turn, i) => expect(turn - turns[i]!).toBeLessThanOrEqual(within));
      }
    }
    expect(truth(said, [], { within: 1 }).length).toBeLessThan(truth(said, [], { within: 4 }).length);
  });

  it('takes a repeated condition as two: the same words said in two turns', async () => {
    const expected = truth([YES, YES], [], {});
    const { hits, totalHits } = await allHits(`${conditions([YES, YES])}&order=said`);
    expect(totalHits).toBe(expected.length);
    expect(totalHits).toBeLessThan(truth([YES]).length);
    expect(ids(hits)).toEqual(ids(expected));
  });
});

describe('with the rest of a session search', () => {
  it('combines with q, role, filters, facets and stats, all counted over the matching sessions', async () => {
    const companions = [...new Set(sessions.map((s) => s.companionId))].slice(0, 6);
    const expected = truth([CONFIRM]).filter(
      (s) => companions.includes(s.companionId) && s.turns.some((t) => t.role === 'user' && containsPhrase(t.text, 'thank you')),
    );
    expect(expected.length).toBeGreaterThan(5);
    const query = `q=${encodeURIComponent('"thank you"')}&role=user&${companions.map((c) => `companionId=${c}`).join('&')}&${conditions([CONFIRM])}&facets=companionId,tags`;
    const first = await page(`/v1/search/sessions?${query}&hitsPerPage=100`);
    expect(first.totalHits).toBe(expected.length);
    expect(first.stats.count).toBe(expected.length);
    expect(first.stats.turnCount.sum).toBe(expected.reduce((sum, s) => sum + s.turns.length, 0));
    const count = (values: string[]) => values.reduce<Record<string, number>>((counts, v) => ((counts[v] = (counts[v] ?? 0) + 1), counts), {});
    expect(first.facets.companionId).toEqual(count(expected.map((s) => s.companionId)));
    expect(first.facets.tags).toEqual(count(expected.flatMap((s) => s.tags)));
    const { hits } = await allHits(query);
    expect(ids(hits)).toEqual(ids(expected));
  });

  it('counts a disjunctive facet under the conditions and every other filter but its own', async () => {
    const companion = truth([WOULD_LIKE, CONFIRM])[0]!.companionId;
    const result = await page(`/v1/search/sessions?${conditions([WOULD_LIKE, CONFIRM])}&companionId=${companion}&facets=companionId&facetMode=disjunctive&hitsPerPage=1`);
    const matching = truth([WOULD_LIKE, CONFIRM]);
    expect(result.totalHits).toBe(matching.filter((s) => s.companionId === companion).length);
    const counts: Record<string, number> = {};
    for (const s of matching) counts[s.companionId] = (counts[s.companionId] ?? 0) + 1;
    expect(result.facets.companionId).toEqual(Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 100)));
  });

  it('finds turns thousands of turns apart in a long session, and holds within on them', async () => {
    const texts = Array.from({ length: 3_000 }, (_, i) => (i === 2 ? 'I need a zanzibar ferry' : i === 2_990 ? 'The quetzal tour is booked' : `Turn number ${i}`));
    const long = parseVendorSession({
      id: 'sess_long_conversation', companionId: 'comp_long', externalClientId: 'user_long', tags: {}, createdAt: 1_770_000_000, startedAt: 1_770_000_000, closedAt: 1_770_010_000,
      conversation: { items: texts.map((text, i) => ({ role: i % 2 ? 'agent' : 'user', text, timestamp: 1_770_000_000 + i })) },
    });
    await writeSessions(engine.ingest, [long], { wait: true });
    const ferry: Condition = { role: 'user', phrase: 'zanzibar ferry' };
    const tour: Condition = { role: 'any', phrase: 'quetzal tour' };
    const ordered = await page(`/v1/search/sessions?${conditions([ferry, tour])}&order=said`);
    expect(ordered.hits.map((hit) => [hit.sessionId, hit.matches.map((m) => m.turnIndex)])).toEqual([['sess_long_conversation', [2, 2_990]]]);
    expect((await page(`/v1/search/sessions?${conditions([tour, ferry])}&order=said`)).totalHits).toBe(0);
    expect((await page(`/v1/search/sessions?${conditions([ferry, tour])}&order=said&within=2987`)).totalHits).toBe(0);
    expect((await page(`/v1/search/sessions?${conditions([ferry, tour])}&order=said&within=2988`)).totalHits).toBe(1);
    expect((await page(`/v1/search/sessions?${conditions([ferry], [tour])}`)).totalHits).toBe(0);
  });

  it("keeps to the key's scope, and a filter of an id the engine takes for a scoped one finds nothing", async () => {
    const expected = truth([WOULD_LIKE, CONFIRM]).filter((s) => s.companionId === scope);
    expect(expected.length).toBeGreaterThan(0);
    const { hits, totalHits } = await allHits(conditions([WOULD_LIKE, CONFIRM]), scoped, { authorization: `Bearer ${KEY}` });
    expect(totalHits).toBe(expected.length);
    expect(ids(hits)).toEqual(ids(expected));
    const outside = sessions.find((s) => s.companionId !== scope && truth([WOULD_LIKE, CONFIRM]).includes(s))!.companionId;
    for (const other of [outside, ...engineEqualVariants(scope)]) {
      const response = await scoped.request(`/v1/search/sessions?${conditions([WOULD_LIKE, CONFIRM])}&companionId=${encodeURIComponent(other)}`, { headers: { authorization: `Bearer ${KEY}` } });
      // A value with control characters is refused outright; any other finds nothing.
      if (response.status === 400) expect(other).toMatch(/[\u0000-\u001f]/);
      else expect(((await response.json()) as Page).totalHits, JSON.stringify(other)).toBe(0);
    }
  });

  it('answers 400 naming the parameter for a condition it cannot read', async () => {
    for (const [query, name] of [['said=hello', 'said'], ['notSaid=user:', 'notSaid'], ['said=user:a&within=2', 'within'], ['said=user:a&order=time', 'order']] as const) {
      const response = await app.request(`/v1/search/sessions?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(`'${name}'`);
    }
  });
});
