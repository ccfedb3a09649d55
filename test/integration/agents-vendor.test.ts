import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import type { SourceFactory } from '../../src/ingest/sync-controller.js';
import { silentLogger } from '../../src/logger.js';
import { createAgentsSource } from '../../src/sources/agents/client.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from '../support/agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { syncOnce } from '../support/sync.js';
import { agentTranscripts, expectIndexHolds } from '../support/transcripts.js';

/**
 * The agents source against a fake that answers as the vendor's pages describe (envelope, totals beside
 * `sessions`, `sessions.pagination`, silent scoping per key, expiring presigned recordings): what it
 * indexes, how its totals compare with the index, what it refuses to delete, and the recording route.
 */
type AgentSession = AgentRecord & {
  session_id: string;
  character_slug: string;
  created_at: string;
  llm_input_tokens: number;
  llm_output_tokens: number;
  stt_audio_seconds: number;
  tts_characters: number;
  estimated_cost_usd: number;
  transcript: Array<{ ts: number }>;
};
type Totals = Record<'total_sessions' | 'total_llm_input_tokens' | 'total_llm_output_tokens' | 'total_stt_audio_seconds' | 'total_tts_characters' | 'total_estimated_cost_usd', number>;
type Stats = Record<string, { count: number; sum: number; min: number; max: number }> & { count: number };

const BELLA = 'barista-bella';
const FAST = { rps: 5_000, concurrency: 8 };

let corpus: AgentSession[];
let clock = Date.now();
let upstream: AgentsUpstream;
let engine: TestEngine;

function factory(apiKey: string, baseUrl = upstream.url): SourceFactory {
  const { listPath, detailPath } = upstream;
  return { name: 'agents', create: () => createAgentsSource({ apiKey, baseUrl, listPath, detailPath, ...FAST }) };
}

/** The vendor's own aggregate totals for a filter, as its list answer reports them. */
async function vendorTotals(query: string): Promise<Totals> {
  const response = await fetch(`${upstream.url}${upstream.listPath}?page_size=1&${query}`, { headers: { 'x-api-key': upstream.apiKey } });
  const { data } = (await response.json()) as { data: Totals };
  return data;
}

async function stats(app: ReturnType<typeof createApp>, query: string): Promise<Stats> {
  const response = await app.request(`/v1/search/sessions?hitsPerPage=1&${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { stats: Stats }).stats;
}

function expectStatsEqualVendor(indexed: Stats, vendor: Totals): void {
  expect(indexed.count).toBe(vendor.total_sessions);
  const pairs = [
    ['llmInputTokens', 'total_llm_input_tokens'],
    ['llmOutputTokens', 'total_llm_output_tokens'],
    ['sttAudioSeconds', 'total_stt_audio_seconds'],
    ['ttsCharacters', 'total_tts_characters'],
    ['costUsd', 'total_estimated_cost_usd'],
  ] as const;
  for (const [stat, total] of pairs) expect(indexed[stat]!.sum, stat).toBeCloseTo(vendor[total], 6);
}

beforeAll(async () => {
  // A slice: the whole corpus is synced by agents-sync.test.ts; these properties hold on fewer.
  corpus = await loadCorpus<AgentSession>(AGENTS_CORPUS, 1_500);
  upstream = await startAgentsUpstream({
    records: corpus,
    callers: { 'bella-key-0123456789': { characters: [BELLA] }, 'no-characters-key': { characters: [] } },
    presignSeconds: 60,
    now: () => clock,
  });
  engine = await createTestEngine('vendor');
});

afterAll(async () => {
  await upstream?.close();
  await engine?.drop();
});

describe('sync against the documented agents API', () => {
  it('indexes every session, and the vendor totals equal the indexed stats field by field', async () => {
    const summary = await syncOnce(engine, factory(upstream.apiKey));
    expect(summary).toMatchObject({ error: null, listed: corpus.length, sessions: corpus.length, skipped: 0, failed: 0 });
    expect(summary.totals?.mismatches).toEqual([]);
    await expectIndexHolds(engine, agentTranscripts(corpus));
    const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
    expectStatsEqualVendor(await stats(app, ''), await vendorTotals(''));
  });

  it('gives the daily report for one character, field by field what the vendor reports for that day', async () => {
    const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
    const days = new Map<string, number>();
    for (const session of corpus) if (session.character_slug === BELLA) days.set(session.created_at.slice(0, 10), (days.get(session.created_at.slice(0, 10)) ?? 0) + 1);
    const [day] = [...days.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const vendor = await vendorTotals(`character_slug=${BELLA}&start=${day}T00:00:00Z&end=${day}T23:59:59.999Z`);
    expect(vendor.total_sessions).toBeGreaterThan(1);
    expectStatsEqualVendor(await stats(app, `companionId=${BELLA}&from=${day}&to=${day}`), vendor);
  });

  it('reads count beside pagination, a harmless variant, and indexes the same', async () => {
    const slice = corpus.slice(0, 450);
    const variant = await startAgentsUpstream({ records: slice, countBesidePagination: true });
    const other = await createTestEngine('variant');
    try {
      const summary = await syncOnce(other, { name: 'agents', create: () => createAgentsSource({ apiKey: variant.apiKey, baseUrl: variant.url, listPath: variant.listPath, detailPath: variant.detailPath, ...FAST }) });
      expect(summary).toMatchObject({ error: null, sessions: slice.length });
      expect(summary.totals?.mismatches).toEqual([]);
      await expectIndexHolds(other, agentTranscripts(slice));
    } finally {
      await variant.close();
      await other.drop();
    }
  });

  it('with a key that sees one character, indexes that character only, and its totals agree', async () => {
    const scoped = await createTestEngine('scoped');
    try {
      const summary = await syncOnce(scoped, factory('bella-key-0123456789'));
      const bella = corpus.filter((session) => session.character_slug === BELLA);
      expect(summary).toMatchObject({ error: null, sessions: bella.length });
      expect(summary.totals?.mismatches).toEqual([]);
      await expectIndexHolds(scoped, agentTranscripts(bella));
    } finally {
      await scoped.drop();
    }
  });
});

describe('a listing that cannot be trusted deletes nothing', () => {
  let legacy: Server;
  let legacyUrl: string;

  beforeAll(async () => {
    // The undocumented shape an earlier fake was written to: `data.results`, `data.count`, `data.next`.
    legacy = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: true, message: 'ok', data: { results: [], count: 0, next: null }, errors: null }));
    });
    await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
    legacyUrl = `http://127.0.0.1:${(legacy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => legacy.close(resolve));
  });

  it('fails a list page of another shape with a clear message, --full included, and keeps the index', async () => {
    for (const full of [false, true]) {
      const summary = await syncOnce(engine, factory(upstream.apiKey, legacyUrl), { full });
      expect(summary.error).toMatch(/session list page 1 is not the documented list answer \{success, message, data: .*sessions: \{data: .*: data\.sessions: /);
      expect(summary.deleted).toBe(0);
      await expectIndexHolds(engine, agentTranscripts(corpus));
    }
  });

  it('refuses a --full pass whose listing is empty while the index holds the source (a key that lost its access)', async () => {
    const summary = await syncOnce(engine, factory('no-characters-key'), { full: true });
    expect(summary.error).toMatch(/the source listed no sessions while the index holds \d+ of them; a full pass deletes nothing on an empty listing/);
    expect(summary.deleted).toBe(0);
    await expectIndexHolds(engine, agentTranscripts(corpus));
  });
});

describe('GET /v1/sessions/{id}/recording', () => {
  const vendor = () => createAgentsSource({ apiKey: upstream.apiKey, baseUrl: upstream.url, listPath: upstream.listPath, detailPath: upstream.detailPath, ...FAST });

  it('redirects to a freshly signed vendor URL that plays; an expired one is refused and the next call signs anew', async () => {
    const agents = vendor();
    try {
      const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, vendors: { agents } });
      const session = corpus.find((candidate) => candidate.transcript.length > 3)!;
      const first = await app.request(`/v1/sessions/${session.session_id}/recording`);
      expect(first.status).toBe(302);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const link = first.headers.get('location')!;
      expect(link.startsWith(`${upstream.url}/recordings/${session.session_id}.wav?`)).toBe(true);
      const audio = await fetch(link);
      expect(audio.status).toBe(200);
      expect(audio.headers.get('content-type')).toBe('audio/wav');
      expect((await audio.arrayBuffer()).byteLength).toBeGreaterThan(44);

      clock += 61_000;
      expect((await fetch(link)).status).toBe(403);
      const again = await app.request(`/v1/sessions/${session.session_id}/recording?redirect=false`);
      expect(again.status).toBe(200);
      const { url } = (await again.json()) as { url: string };
      expect(url).not.toBe(link);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await agents.close();
    }
  });

  it('is 404 outside the key\'s scope, exactly as the session is, and for a session without a recording', async () => {
    const agents = vendor();
    try {
      const keys = new ApiKeys([{ key: 'max-only-search-key', name: 'max', role: 'search', companions: ['barista-max'] }]);
      const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, keys, vendors: { agents } });
      const bella = corpus.find((session) => session.character_slug === BELLA)!;
      const headers = { authorization: 'Bearer max-only-search-key' };
      type ErrorBody = { error: { code: string; message: string } };
      const outside = await app.request(`/v1/sessions/${bella.session_id}/recording`, { headers });
      const missing = await app.request('/v1/sessions/0e0e0e0e-0000-4000-8000-000000000000/recording', { headers });
      expect([outside.status, missing.status]).toEqual([404, 404]);
      const [outsideBody, missingBody] = [(await outside.json()) as ErrorBody, (await missing.json()) as ErrorBody];
      expect(outsideBody.error.code).toBe('not_found');
      // Indistinguishable: the same message but for the id itself.
      expect(outsideBody.error.message.replace(bella.session_id, 'ID')).toBe(missingBody.error.message.replace('0e0e0e0e-0000-4000-8000-000000000000', 'ID'));

      await engine.client.waitForTask(
        await engine.client.enqueue('POST', `/indexes/${engine.names.sessions}/documents`, {
          body: [{ id: 'no_recording', sessionId: 'no_recording', source: 'agents', companionId: 'barista-max', hasRecording: false, recordingUrl: null }],
        }),
      );
      const none = await app.request('/v1/sessions/no_recording/recording', { headers });
      expect(none.status).toBe(404);
      expect(((await none.json()) as ErrorBody).error.message).toMatch(/has no recording/);
    } finally {
      await agents.close();
    }
  });

  it('answers 503 in the error shape when the vendor does not answer, and never names its address', async () => {
    const down = createAgentsSource({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', listPath: upstream.listPath, detailPath: upstream.detailPath, ...FAST, http: { maxRetries: 0 } });
    try {
      const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, vendors: { agents: down } });
      const response = await app.request(`/v1/sessions/${corpus[0]!.session_id}/recording`);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'source_unavailable' } });
      expect(text).not.toMatch(/127\.0\.0\.1|:9\b/);
    } finally {
      await down.close();
    }
  });
});
