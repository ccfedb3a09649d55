import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * Session search on the sessions index (one document per session, its text in per-turn arrays): what
 * it matches, and the two cases it hands to the turns index — phrases of three or more words, and a
 * session too long for one document, whose hits, counts, facets and statistics join the others'.
 */
let engine: TestEngine;
let app: ReturnType<typeof createApp>;
let serial = 0;

function session(id: string, companionId: string, turns: Array<[role: 'user' | 'agent', text: string]>, costUsd: number) {
  const createdAt = 1_767_225_600 + serial++ * 3_600;
  return {
    session_id: id, tenant_id: 'tenant-a', character_slug: companionId, user: `user_${id}`, created_at: new Date(createdAt * 1000).toISOString(),
    finalized_at: new Date((createdAt + 600) * 1000).toISOString(), estimated_cost_usd: costUsd,
    transcript: turns.map(([role, text], i) => ({ role: role === 'agent' ? 'assistant' : 'user', text, turn_index: i, ts: i * 5 })),
  };
}

const LONG_TURNS = 4_000;

type Page = { hits: Array<{ sessionId: string; snippet: string; matchedTurnIndex: number | null }>; totalHits: number; totalPages: number; facets: Record<string, Record<string, number>>; stats: Record<string, any> };

async function search(query: string): Promise<Page> {
  const response = await app.request(`/v1/search/sessions?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Page;
}

beforeAll(async () => {
  engine = await createTestEngine('session_search');
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  const records = [
    session('s_refund', 'comp_a', [['user', 'I want a refund'], ['agent', 'Sure, I can help with the order']], 1),
    session('s_order', 'comp_a', [['user', 'Where is my order?'], ['agent', 'It ships today']], 2),
    session('s_pairs', 'comp_b', [['user', 'I would be glad'], ['agent', 'You would like it']], 3),
    session('s_phrase', 'comp_b', [['user', 'I would like a refund']], 4),
    // Longer than a session document holds: searched through its turns.
    session('s_long', 'comp_c', Array.from({ length: LONG_TURNS }, (_, i): ['user' | 'agent', string] => [i % 2 ? 'agent' : 'user', i === LONG_TURNS - 2 ? 'last of all, a refund.' : `turn ${i}: more words, and more; and more.`]), 5),
  ];
  await writeSessions(engine.ingest, records.map(parseVendorSession), { wait: true });
});

afterAll(async () => {
  await engine?.drop();
});

describe('session search', () => {
  it('finds nothing, and fails nothing, for one side before any session with its text is indexed', async () => {
    const empty = await createTestEngine('session_search_empty');
    try {
      const emptyApp = createApp({ engine: empty.client, names: empty.names, log: silentLogger });
      const response = await emptyApp.request('/v1/search/sessions?q=refund&role=agent&facets=companionId');
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ hits: [], totalHits: 0, stats: { count: 0 } });
    } finally {
      await empty.drop();
    }
  });

  it('finds a word in any turn, marks the turn, and counts each session once with its facets and stats', async () => {
    const page = await search('q=refund&facets=companionId');
    expect(page.hits.map((hit) => hit.sessionId).sort()).toEqual(['s_long', 's_phrase', 's_refund']);
    expect(page.totalHits).toBe(3);
    expect(page.facets.companionId).toEqual({ comp_a: 1, comp_b: 1, comp_c: 1 });
    expect(page.stats.costUsd).toEqual({ count: 3, sum: 10, min: 1, max: 5 });
    const refund = page.hits.find((hit) => hit.sessionId === 's_refund')!;
    expect([refund.snippet, refund.matchedTurnIndex]).toEqual(['I want a <mark>refund</mark>', 0]);
    const long = page.hits.find((hit) => hit.sessionId === 's_long')!;
    expect(long.matchedTurnIndex).toBe(LONG_TURNS - 2);
  });

  it('lists the long session after the others, page by page', async () => {
    const pages = [];
    for (let page = 1; page <= 3; page++) pages.push(await search(`q=refund&hitsPerPage=1&page=${page}`));
    expect(pages.map((page) => page.hits.map((hit) => hit.sessionId))).toEqual([[expect.any(String)], [expect.any(String)], ['s_long']]);
    expect(new Set(pages.flatMap((page) => page.hits.map((hit) => hit.sessionId)))).toEqual(new Set(['s_long', 's_phrase', 's_refund']));
    expect(pages.every((page) => page.totalHits === 3 && page.totalPages === 3)).toBe(true);
  });

  it('matches words anywhere in what was said, and phrases within one turn', async () => {
    expect((await search('q=refund+order')).hits.map((hit) => hit.sessionId)).toEqual(['s_refund']);
    expect((await search(`q=${encodeURIComponent('"help with"')}`)).hits.map((hit) => hit.sessionId)).toEqual(['s_refund']);
    expect((await search(`q=${encodeURIComponent('"refund sure"')}`)).totalHits).toBe(0);
  });

  it('keeps a phrase of three words exact: word pairs of different turns do not make it', async () => {
    // "I would" (one turn) and "would like" (another) are both in s_pairs; only s_phrase said the phrase.
    expect((await search(`q=${encodeURIComponent('"i would like"')}`)).hits.map((hit) => hit.sessionId)).toEqual(['s_phrase']);
  });

  it('restricts matching to what one side said, and lists the sessions a side spoke in without text', async () => {
    expect((await search('q=refund&role=agent')).totalHits).toBe(0);
    expect((await search('q=order&role=agent')).hits.map((hit) => hit.sessionId)).toEqual(['s_refund']);
    expect((await search('q=order&role=user')).hits.map((hit) => hit.sessionId)).toEqual(['s_order']);
    expect((await search('role=agent')).totalHits).toBe(4);
    expect((await search('q=refund&role=user&facets=companionId')).facets.companionId).toEqual({ comp_b: 1, comp_a: 1, comp_c: 1 });
    // A phrase under a role: the other side's "would like" never completes the user's "would".
    expect((await search(`q=${encodeURIComponent('"would like"')}&role=user`)).hits.map((hit) => hit.sessionId)).toEqual(['s_phrase']);
    expect((await search(`q=${encodeURIComponent('"would like"')}&role=agent`)).hits.map((hit) => hit.sessionId)).toEqual(['s_pairs']);
  });
});
