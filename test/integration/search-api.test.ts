import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { AGENTS_CORPUS, containsPhrase, loadCorpus, NAPSTER_CORPUS, type AgentCorpusRecord, type NapsterCorpusRecord } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * Every search parameter of CONTRACT.md §4 against truth computed straight from the raw corpus records
 * (not through the product's own mapping), with both vendor shapes in the same indexes.
 */
type NapsterRaw = NapsterCorpusRecord;
type AgentRaw = AgentCorpusRecord;
/** One row per turn of either shape, in canonical terms, for computing truths. */
type Row = {
  sessionId: string;
  turnIndex: number;
  companionId: string;
  clientId: string | null;
  tenantId: string | null;
  tags: string[];
  role: 'user' | 'agent';
  text: string;
  timestamp: number;
  sessionStart: number;
};
type Page = {
  hits: Array<Record<string, any>>;
  totalHits: number;
  page: number;
  hitsPerPage: number;
  totalPages: number;
  facets: Record<string, Record<string, number>>;
  stats?: Record<string, any>;
};

const NAPSTER_SESSIONS = 2_000;
const AGENT_SESSIONS = 600;

let engine: TestEngine;
let app: ReturnType<typeof createApp>;
let napster: NapsterRaw[];
let agents: AgentRaw[];
let rows: Row[];

async function get(url: string): Promise<Page> {
  const response = await app.request(url);
  expect(response.status, `${url}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as Page;
}

const turnsWhere = (keep: (row: Row) => boolean) => rows.filter(keep);
const sessionsOf = (selected: Row[]) => new Set(selected.map((row) => row.sessionId));
const countBy = (values: string[]) => values.reduce<Record<string, number>>((counts, v) => ((counts[v] = (counts[v] ?? 0) + 1), counts), {});
const q = (text: string) => encodeURIComponent(text);

beforeAll(async () => {
  napster = await loadCorpus<NapsterRaw>(NAPSTER_CORPUS, NAPSTER_SESSIONS);
  agents = await loadCorpus<AgentRaw>(AGENTS_CORPUS, AGENT_SESSIONS);
  rows = [
    ...napster.flatMap((s) =>
      s.conversation.items.map((item, turnIndex): Row => ({
        sessionId: s.id, turnIndex, companionId: s.companionId, clientId: s.externalClientId, tenantId: null,
        tags: Object.entries(s.tags).map(([k, v]) => `${k}:${v}`), role: item.role, text: item.text,
        timestamp: item.timestamp, sessionStart: s.startedAt,
      })),
    ),
    ...agents.flatMap((s) => {
      const start = Date.parse(s.created_at) / 1000;
      return s.transcript.map((turn, turnIndex): Row => ({
        sessionId: s.session_id, turnIndex, companionId: s.character_slug, clientId: s.user, tenantId: s.tenant_id,
        tags: [], role: turn.role === 'assistant' ? 'agent' : 'user', text: turn.text, timestamp: start + turn.ts, sessionStart: start,
      }));
    }),
  ];
  engine = await createTestEngine('search');
  await writeSessions(engine.ingest, [...napster, ...agents].map(parseVendorSession), { wait: true });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
});

afterAll(async () => {
  await engine?.drop();
});

describe('GET /v1/search/turns', () => {
  it('counts every turn exactly when nothing narrows the search (totalHits is not capped at 1,000)', async () => {
    const result = await get('/v1/search/turns?hitsPerPage=1');
    expect(result.totalHits).toBe(rows.length);
    expect(result.totalHits).toBeGreaterThan(30_000);
  });

  it('ORs repeated values of one filter and ANDs different filters', async () => {
    const [a, b] = [napster[0]!.companionId, napster.find((s) => s.companionId !== napster[0]!.companionId)!.companionId];
    const expected = turnsWhere((r) => (r.companionId === a || r.companionId === b) && r.role === 'user' && r.tags.includes('channel:ios'));
    const result = await get(`/v1/search/turns?companionId=${a}&companionId=${b}&role=user&tag=channel:ios&hitsPerPage=1`);
    expect(result.totalHits).toBe(expected.length);
  });

  it('filters by tenant and by external client across both vendor shapes', async () => {
    const tenant = agents[0]!.tenant_id;
    expect((await get(`/v1/search/turns?tenantId=${q(tenant)}&hitsPerPage=1`)).totalHits).toBe(turnsWhere((r) => r.tenantId === tenant).length);
    const client = napster[0]!.externalClientId;
    expect((await get(`/v1/search/turns?externalClientId=${q(client)}&hitsPerPage=1`)).totalHits).toBe(
      turnsWhere((r) => r.clientId === client).length,
    );
  });

  it('filters by turn time with ISO-8601 or Unix seconds alike', async () => {
    const times = rows.map((r) => r.timestamp).sort((x, y) => x - y);
    const from = Math.floor(times[Math.floor(times.length * 0.3)]!);
    const to = Math.floor(times[Math.floor(times.length * 0.6)]!);
    const expected = turnsWhere((r) => r.timestamp >= from && r.timestamp <= to).length;
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
    expect((await get(`/v1/search/turns?from=${from}&to=${to}&hitsPerPage=1`)).totalHits).toBe(expected);
    expect((await get(`/v1/search/turns?from=${q(iso(from))}&to=${q(iso(to))}&hitsPerPage=1`)).totalHits).toBe(expected);
    expect((await get(`/v1/search/turns?from=${from}&hitsPerPage=1`)).totalHits).toBe(turnsWhere((r) => r.timestamp >= from).length);
  });

  it('sorts by turn time when asked, newest or oldest first', async () => {
    const phrase = 'thank you';
    const matching = turnsWhere((r) => containsPhrase(r.text, phrase)).map((r) => r.timestamp);
    const newest = await get(`/v1/search/turns?q=${q(`"${phrase}"`)}&sort=newest&hitsPerPage=50`);
    const oldest = await get(`/v1/search/turns?q=${q(`"${phrase}"`)}&sort=oldest&hitsPerPage=50`);
    const seconds = (page: Page) => page.hits.map((hit) => Date.parse(hit.timestamp) / 1000);
    expect(seconds(newest)).toEqual([...seconds(newest)].sort((x, y) => y - x));
    expect(seconds(oldest)).toEqual([...seconds(oldest)].sort((x, y) => x - y));
    expect(seconds(newest)[0]).toBeCloseTo(Math.max(...matching), 2);
    expect(seconds(oldest)[0]).toBeCloseTo(Math.min(...matching), 2);
  });

  it('pages through every hit once: pages are disjoint and add up to totalHits', async () => {
    const phrase = 'san jose';
    const expected = turnsWhere((r) => containsPhrase(r.text, phrase)).length;
    const first = await get(`/v1/search/turns?q=${q(`"${phrase}"`)}&hitsPerPage=100`);
    expect(first.totalHits).toBe(expected);
    expect(first.totalPages).toBe(Math.ceil(expected / 100));
    const seen = new Set<string>();
    for (let page = 1; page <= first.totalPages; page++) {
      const result = page === 1 ? first : await get(`/v1/search/turns?q=${q(`"${phrase}"`)}&hitsPerPage=100&page=${page}`);
      expect(result.page).toBe(page);
      for (const hit of result.hits) seen.add(`${hit.sessionId}#${hit.turnIndex}`);
    }
    expect(seen.size).toBe(expected);
    expect((await get(`/v1/search/turns?q=${q(`"${phrase}"`)}&hitsPerPage=100&page=${first.totalPages + 1}`)).hits).toEqual([]);
  });

  it('counts turns in facets', async () => {
    const phrase = 'new york';
    const matching = turnsWhere((r) => containsPhrase(r.text, phrase));
    expect(matching.length).toBeGreaterThan(100);
    const result = await get(`/v1/search/turns?q=${q(`"${phrase}"`)}&facets=companionId,role,tags&hitsPerPage=1`);
    expect(result.facets.companionId).toEqual(countBy(matching.map((r) => r.companionId)));
    expect(result.facets.role).toEqual(countBy(matching.map((r) => r.role)));
    expect(result.facets.tags).toEqual(countBy(matching.flatMap((r) => r.tags)));
  });

  it('returns every field of a turn hit with an HTML-escaped highlight', async () => {
    const result = await get(`/v1/search/turns?q=${q('"san jose"')}&hitsPerPage=5`);
    for (const hit of result.hits) {
      const row = rows.find((r) => r.sessionId === hit.sessionId && r.turnIndex === hit.turnIndex)!;
      expect(hit).toMatchObject({ role: row.role, text: row.text, companionId: row.companionId, externalClientId: row.clientId, tenantId: null });
      expect(Date.parse(hit.timestamp) / 1000).toBeCloseTo(row.timestamp, 2);
      expect(hit.offsetSeconds).toBeCloseTo(row.timestamp - row.sessionStart, 2);
      expect(Object.entries(hit.tags).map(([k, v]) => `${k}:${v}`).sort()).toEqual([...row.tags].sort());
      // The engine marks a matched phrase as one span.
      expect(hit.highlight.toLowerCase()).toMatch(/<mark>san( |<\/mark> <mark>)jose<\/mark>/);
      const unescaped = hit.highlight.replace(/<\/?mark>/g, '').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      expect(unescaped).toBe(row.text);
    }
  });

  it('escapes markup in highlights so transcript text can never inject HTML', async () => {
    const session = parseVendorSession({
      id: 'sess_markup', companionId: 'comp_markup', externalClientId: 'user_markup', tags: {}, createdAt: 1_700_000_000,
      startedAt: 1_700_000_000, closedAt: 1_700_000_100,
      conversation: { items: [{ role: 'user', text: 'zebrafish <script>alert("x")</script> & friends', timestamp: 1_700_000_010 }] },
    });
    await writeSessions(engine.ingest, [session], { wait: true });
    const [hit] = (await get('/v1/search/turns?q=zebrafish')).hits;
    expect(hit!.highlight).toBe('<mark>zebrafish</mark> &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; friends');
    const [sessionHit] = (await get('/v1/search/sessions?q=zebrafish')).hits;
    expect(sessionHit!.snippet).toContain('&lt;script&gt;');
  });

  it('shows the turns before and after each hit, in order, with context', async () => {
    const result = await get(`/v1/search/turns?q=${q('"make a reservation"')}&context=2&hitsPerPage=20`);
    expect(result.hits.length).toBeGreaterThan(0);
    for (const hit of result.hits) {
      const session = rows.filter((r) => r.sessionId === hit.sessionId);
      const indexes = (list: Array<{ turnIndex: number; text: string }>) => list.map((t) => [t.turnIndex, t.text]);
      const expectedBefore = session.filter((r) => r.turnIndex >= hit.turnIndex - 2 && r.turnIndex < hit.turnIndex);
      const expectedAfter = session.filter((r) => r.turnIndex > hit.turnIndex && r.turnIndex <= hit.turnIndex + 2);
      expect(indexes(hit.context.before)).toEqual(indexes(expectedBefore));
      expect(indexes(hit.context.after)).toEqual(indexes(expectedAfter));
    }
    expect((await get(`/v1/search/turns?q=${q('"make a reservation"')}&hitsPerPage=1`)).hits[0]!.context).toBeUndefined();
  });

  it('tolerates typos in words and keeps quoted phrases exact in the same query', async () => {
    const typo = await get(`/v1/search/turns?q=resturant&hitsPerPage=100`);
    const exact = turnsWhere((r) => containsPhrase(r.text, 'restaurant')).length;
    expect(typo.totalHits).toBeGreaterThanOrEqual(exact);
    // A word that occurs with the phrase, misspelt by one letter.
    const word = 'reservation';
    const withBoth = turnsWhere((r) => containsPhrase(r.text, 'new york') && containsPhrase(r.text, word));
    expect(withBoth.length).toBeGreaterThan(0);
    const mixed = await get(`/v1/search/turns?q=${q('"new york" reservasion')}&hitsPerPage=100`);
    expect(mixed.totalHits).toBeGreaterThanOrEqual(withBoth.length);
    for (const hit of mixed.hits) {
      expect(containsPhrase(hit.text, 'new york')).toBe(true);
      expect(hit.highlight.toLowerCase()).toMatch(/<mark>reserva/);
    }
  });
});

describe('GET /v1/search/sessions', () => {
  it('finds sessions by phrase; role=user only counts what the user said', async () => {
    const phrase = 'i would like';
    for (const role of ['user', 'agent'] as const) {
      const expected = sessionsOf(turnsWhere((r) => r.role === role && containsPhrase(r.text, phrase))).size;
      expect((await get(`/v1/search/sessions?q=${q(`"${phrase}"`)}&role=${role}&hitsPerPage=1`)).totalHits).toBe(expected);
    }
  });

  it('counts sessions, not turns, in facets: companion X per tag', async () => {
    const companion = napster[0]!.companionId;
    const ofCompanion = napster.filter((s) => s.companionId === companion);
    const result = await get(`/v1/search/sessions?companionId=${companion}&facets=tags&hitsPerPage=1`);
    expect(result.totalHits).toBe(ofCompanion.length);
    expect(result.facets.tags).toEqual(countBy(ofCompanion.flatMap((s) => Object.entries(s.tags).map(([k, v]) => `${k}:${v}`))));
  });

  it('filters by session start and sorts by it', async () => {
    const starts = napster.map((s) => s.startedAt).sort((x, y) => x - y);
    const from = starts[500]!;
    const to = starts[1500]!;
    const expected = napster.filter((s) => s.startedAt >= from && s.startedAt <= to);
    const result = await get(`/v1/search/sessions?tag=environment:production&tag=environment:staging&from=${from}&to=${to}&sort=oldest&hitsPerPage=100`);
    expect(result.totalHits).toBe(expected.length);
    const hitStarts = result.hits.map((hit) => Date.parse(hit.startedAt) / 1000);
    expect(hitStarts).toEqual([...hitStarts].sort((x, y) => x - y));
    expect(hitStarts[0]).toBe(from);
  });

  it('returns stats over all matching sessions: the daily report for one companion', async () => {
    const companion = agents[0]!.character_slug;
    const mine = agents.filter((s) => s.character_slug === companion);
    const result = await get(`/v1/search/sessions?companionId=${q(companion)}&hitsPerPage=1`);
    const stats = result.stats!;
    const durations = mine.map((s) => s.session_duration_seconds);
    const tokens = mine.map((s) => s.llm_input_tokens + s.llm_output_tokens);
    expect(stats.count).toBe(mine.length);
    expect(stats.durationSeconds).toEqual({ count: mine.length, sum: durations.reduce((a, b) => a + b, 0), min: Math.min(...durations), max: Math.max(...durations) });
    expect(stats.turnCount.sum).toBe(mine.reduce((sum, s) => sum + s.transcript.length, 0));
    expect(stats.tokens.sum).toBe(tokens.reduce((a, b) => a + b, 0));
    // Every vendor total on its own: input and output tokens are priced differently.
    const fields = [
      ['llmInputTokens', 'llm_input_tokens'],
      ['llmOutputTokens', 'llm_output_tokens'],
      ['sttAudioSeconds', 'stt_audio_seconds'],
      ['ttsCharacters', 'tts_characters'],
      ['costUsd', 'estimated_cost_usd'],
    ] as const;
    for (const [stat, field] of fields) {
      const values = mine.map((s) => s[field]);
      expect(stats[stat].count, stat).toBe(mine.length);
      expect(stats[stat].sum, stat).toBeCloseTo(values.reduce((a, b) => a + b, 0), 6);
      expect(stats[stat].min, stat).toBeCloseTo(Math.min(...values), 9);
      expect(stats[stat].max, stat).toBeCloseTo(Math.max(...values), 9);
    }
  });

  it('returns stats over the sessions a phrase matched, counting each session once', async () => {
    const phrase = 'thank you';
    const matched = sessionsOf(turnsWhere((r) => containsPhrase(r.text, phrase)));
    const result = await get(`/v1/search/sessions?q=${q(`"${phrase}"`)}&tag=environment:production&hitsPerPage=1`);
    const tagged = napster.filter((s) => matched.has(s.id) && s.tags.environment === 'production');
    expect(result.stats!.count).toBe(tagged.length);
    expect(result.stats!.turnCount.sum).toBe(tagged.reduce((sum, s) => sum + s.conversation.items.length, 0));
    const closed = tagged.filter((s) => s.closedAt !== null);
    expect(result.stats!.durationSeconds.sum).toBe(closed.reduce((sum, s) => sum + (s.closedAt! - s.startedAt), 0));
    expect(result.stats!.tokens).toEqual({ count: 0, sum: null, min: null, max: null });
  });

  it('returns the session hit fields with the matching turn as snippet', async () => {
    const [hit] = (await get(`/v1/search/sessions?q=${q('"one way"')}&hitsPerPage=1`)).hits;
    const raw = napster.find((s) => s.id === hit!.sessionId)!;
    expect(hit).toMatchObject({
      sessionId: raw.id, source: 'napster', companionId: raw.companionId, externalClientId: raw.externalClientId, tenantId: null,
      tags: raw.tags, turnCount: raw.conversation.items.length, createdAt: new Date(raw.createdAt * 1000).toISOString(),
    });
    expect(hit!.snippet.toLowerCase()).toMatch(/<mark>one([ -]|<\/mark> <mark>)way<\/mark>/);
    expect(containsPhrase(raw.conversation.items[hit!.matchedTurnIndex]!.text, 'one way')).toBe(true);
  });
});

describe('Napster session configuration: functions, knowledge base and FAQs', () => {
  const configOf = (id: string) => napster.find((s) => s.id === id);
  const kbs = () => countBy(napster.flatMap((s) => (s.knowledgeBaseId === null ? [] : [s.knowledgeBaseId])));
  const functions = () => countBy(napster.flatMap((s) => s.functions));
  const faqs = () => countBy(napster.flatMap((s) => s.faqIds));

  it('facets count sessions on /sessions, exactly as the corpus has them', async () => {
    const result = await get('/v1/search/sessions?facets=knowledgeBaseId,functions,faqIds&hitsPerPage=1');
    expect(result.facets.knowledgeBaseId).toEqual(kbs());
    expect(result.facets.functions).toEqual(functions());
    expect(result.facets.faqIds).toEqual(Object.fromEntries(Object.entries(faqs()).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 100)));
  });

  it('facets count turns on /turns', async () => {
    const result = await get('/v1/search/turns?facets=knowledgeBaseId,functions&hitsPerPage=1');
    const napsterRows = rows.filter((r) => configOf(r.sessionId));
    expect(result.facets.knowledgeBaseId).toEqual(countBy(napsterRows.flatMap((r) => configOf(r.sessionId)!.knowledgeBaseId ?? [])));
    expect(result.facets.functions).toEqual(countBy(napsterRows.flatMap((r) => configOf(r.sessionId)!.functions)));
  });

  it('filters: OR within knowledgeBaseId, function and faqId, AND across them and with other filters', async () => {
    const [kbA, kbB] = Object.keys(kbs());
    const fn = Object.keys(functions())[0]!;
    const faq = Object.keys(faqs())[0]!;
    const either = napster.filter((s) => s.knowledgeBaseId === kbA || s.knowledgeBaseId === kbB);
    expect((await get(`/v1/search/sessions?knowledgeBaseId=${kbA}&knowledgeBaseId=${kbB}&hitsPerPage=1`)).totalHits).toBe(either.length);
    const withFn = napster.filter((s) => s.functions.includes(fn) && s.faqIds.includes(faq));
    expect((await get(`/v1/search/sessions?function=${fn}&faqId=${faq}&hitsPerPage=1`)).totalHits).toBe(withFn.length);
    const userTurns = turnsWhere((r) => r.role === 'user' && (configOf(r.sessionId)?.functions.includes(fn) ?? false));
    expect((await get(`/v1/search/turns?function=${fn}&role=user&hitsPerPage=1`)).totalHits).toBe(userTurns.length);
  });

  it('returns them on session hits and lists their values by prefix', async () => {
    const sample = napster.find((s) => s.faqIds.length > 0)!;
    const [hit] = (await get(`/v1/search/sessions?q=&companionId=${sample.companionId}&externalClientId=${sample.externalClientId}&hitsPerPage=100`)).hits.filter(
      (candidate) => candidate.sessionId === sample.id,
    );
    expect(hit).toMatchObject({ functions: sample.functions, knowledgeBaseId: sample.knowledgeBaseId, faqIds: sample.faqIds });
    const prefix = Object.keys(functions())[0]!.slice(0, 5);
    const { values } = (await get(`/v1/facets/functions?q=${prefix}`)) as unknown as { values: Array<{ value: string; count: number }> };
    expect(Object.fromEntries(values.map((v) => [v.value, v.count]))).toEqual(
      Object.fromEntries(Object.entries(functions()).filter(([value]) => value.startsWith(prefix))),
    );
  });
});

describe('disjunctive facets (facetMode=disjunctive)', () => {
  it("counts each facet without its own selection, and under every other one, on /turns", async () => {
    const [a, b] = [napster[0]!.companionId, napster.find((s) => s.companionId !== napster[0]!.companionId)!.companionId];
    const phrase = 'new york';
    const matching = turnsWhere((r) => containsPhrase(r.text, phrase));
    const result = await get(`/v1/search/turns?q=${q(`"${phrase}"`)}&companionId=${a}&role=user&facets=companionId,role,tags&facetMode=disjunctive&hitsPerPage=1`);
    // The hits are under every filter…
    expect(result.totalHits).toBe(matching.filter((r) => r.companionId === a && r.role === 'user').length);
    // …each facet's counts under every filter but its own: every companion a user said it to, both roles of companion a.
    expect(result.facets.companionId).toEqual(countBy(matching.filter((r) => r.role === 'user').map((r) => r.companionId)));
    expect(result.facets.role).toEqual(countBy(matching.filter((r) => r.companionId === a).map((r) => r.role)));
    // A facet with nothing selected counts under all filters, as in conjunctive mode.
    expect(result.facets.tags).toEqual(countBy(matching.filter((r) => r.companionId === a && r.role === 'user').flatMap((r) => r.tags)));
    // Ticking a second companion adds exactly its count: OR within a name is reachable from the counts.
    const both = await get(`/v1/search/turns?q=${q(`"${phrase}"`)}&companionId=${a}&companionId=${b}&role=user&hitsPerPage=1`);
    expect(both.totalHits).toBe((result.facets.companionId![a] ?? 0) + (result.facets.companionId![b] ?? 0));
  });

  it('counts sessions on /sessions, with and without query text', async () => {
    const companion = napster[0]!.companionId;
    const channels = countBy(napster.filter((s) => s.companionId === companion).map((s) => `channel:${s.tags.channel}`));
    const tag = Object.keys(channels)[0]!;
    const browse = await get(`/v1/search/sessions?companionId=${companion}&tag=${q(tag)}&facets=companionId,tags&facetMode=disjunctive&hitsPerPage=1`);
    expect(browse.facets.companionId).toEqual(countBy(napster.filter((s) => `channel:${s.tags.channel}` === tag || Object.entries(s.tags).some(([k, v]) => `${k}:${v}` === tag)).map((s) => s.companionId)));
    expect(Object.fromEntries(Object.entries(browse.facets.tags!).filter(([name]) => name.startsWith('channel:')))).toEqual(channels);

    const phrase = 'i would like';
    const bySession = new Map<string, Row[]>();
    for (const row of turnsWhere((r) => containsPhrase(r.text, phrase))) bySession.set(row.sessionId, [...(bySession.get(row.sessionId) ?? []), row]);
    const search = await get(`/v1/search/sessions?q=${q(`"${phrase}"`)}&companionId=${companion}&facets=companionId&facetMode=disjunctive&hitsPerPage=1`);
    expect(search.facets.companionId).toEqual(countBy([...bySession.values()].map((turns) => turns[0]!.companionId)));
  });

  it('answers exactly as conjunctive mode when nothing is selected', async () => {
    const url = `/v1/search/turns?q=refund&facets=companionId,role,tags&hitsPerPage=3`;
    const [plain, disjunctive] = [await get(url), await get(`${url}&facetMode=disjunctive`)];
    expect({ ...disjunctive, processingTimeMs: 0 }).toEqual({ ...plain, processingTimeMs: 0 });
  });
});

describe('highlights', () => {
  it("marks whole words: a typo marks the word it matched, not the letters it shares", async () => {
    const result = await get(`/v1/search/turns?q=refnd&hitsPerPage=20`);
    expect(result.totalHits).toBeGreaterThan(0);
    for (const hit of result.hits) {
      for (const [, word, after] of hit.highlight.matchAll(/<mark>([^<]*)<\/mark>(\S?)/g)) {
        expect(word, hit.highlight).toMatch(/^refund/i);
        expect(after, hit.highlight).not.toMatch(/[a-z0-9]/i);
      }
    }
  });

  it("does not read the last letter of `don't` as a prefix of every word", async () => {
    const result = await get(`/v1/search/turns?q=${q("don't")}&hitsPerPage=50`);
    expect(result.totalHits).toBeGreaterThan(0);
    for (const hit of result.hits) {
      const marked = [...hit.highlight.matchAll(/<mark>([^<]*)<\/mark>/g)].map((m) => m[1]!.toLowerCase());
      expect(marked.every((word) => word === 'don' || word === 't' || word.startsWith('don')), hit.highlight).toBe(true);
    }
  });

  it('marks, in an opened transcript, the turns that match the search', async () => {
    const raw = napster.find((s) => s.conversation.items.some((item) => containsPhrase(item.text, 'restaurant')))!;
    const session = (await get(`/v1/sessions/${raw.id}?q=restaurant`)) as unknown as { turns: Array<{ turnIndex: number; text: string; highlight?: string }> };
    expect(session.turns).toHaveLength(raw.conversation.items.length);
    const expected = raw.conversation.items.flatMap((item, i) => (/restaurant/i.test(item.text) ? [i] : []));
    expect(session.turns.filter((t) => t.highlight !== undefined).map((t) => t.turnIndex)).toEqual(expected);
    for (const turn of session.turns.filter((t) => t.highlight !== undefined)) expect(turn.highlight).toMatch(/<mark>restaurants?<\/mark>/i);
    const plain = (await get(`/v1/sessions/${raw.id}`)) as unknown as { turns: Array<{ highlight?: string }> };
    expect(plain.turns.every((t) => t.highlight === undefined)).toBe(true);
  });
});

describe('GET /v1/sessions/{id} and /v1/facets/{name}', () => {
  it('returns the whole transcript in order', async () => {
    const raw = agents[3]!;
    const response = await get(`/v1/sessions/${raw.session_id}`);
    const session = response as unknown as { sessionId: string; turns: Array<{ turnIndex: number; role: string; text: string; offsetSeconds: number }> };
    expect(session.sessionId).toBe(raw.session_id);
    expect(session.turns.map((t) => [t.role, t.text, t.offsetSeconds])).toEqual(
      raw.transcript.map((t) => [t.role === 'assistant' ? 'agent' : 'user', t.text, t.ts]),
    );
  });

  it('answers 404 in the error shape for a session that does not exist', async () => {
    const response = await app.request('/v1/sessions/no-such-session');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found', message: expect.any(String), requestId: expect.any(String) } });
  });

  it('completes facet values by prefix, counting sessions, narrowed by filters', async () => {
    const expected = countBy(napster.filter((s) => s.companionId.startsWith('comp_rest')).map((s) => s.companionId));
    const { values } = (await get('/v1/facets/companionId?q=comp_rest')) as unknown as { values: Array<{ value: string; count: number }> };
    expect(Object.fromEntries(values.map((v) => [v.value, v.count]))).toEqual(expected);
    const narrowed = (await get('/v1/facets/tags?q=channel&tag=environment:production')) as unknown as { values: Array<{ value: string; count: number }> };
    const production = napster.filter((s) => s.tags.environment === 'production');
    expect(Object.fromEntries(narrowed.values.map((v) => [v.value, v.count]))).toEqual(countBy(production.map((s) => `channel:${s.tags.channel}`)));
  });
});
