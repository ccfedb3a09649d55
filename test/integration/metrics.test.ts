import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { SyncController } from '../../src/ingest/sync-controller.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { parseSamples, sampleValue, type Sample } from '../support/prometheus.js';
import { napsterFactory } from '../support/sync.js';
import { napsterTranscripts, turnTotal } from '../support/transcripts.js';

/**
 * GET /metrics against a real engine and a real sync from the Napster fake: request counts per route
 * pattern and status, sync counters per source, engine task failures, and access with keys.
 */
const SESSIONS = 150;
const MALFORMED = { id: 'sess_malformed_metrics', createdAt: 1, conversation: 'not a conversation' };

let engine: TestEngine;
let upstream: NapsterUpstream;
let records: NapsterRecord[];
let metrics: Metrics;
let controller: SyncController;
let app: ReturnType<typeof createApp>;

async function scrape(target = app, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await target.request('/metrics', { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseSamples(await response.text());
}

beforeAll(async () => {
  records = await loadCorpus<NapsterRecord>(NAPSTER_CORPUS, SESSIONS);
  upstream = await startNapsterUpstream({ records: [...records, MALFORMED], apiKey: 'metrics-napster-key' });
  engine = await createTestEngine('metrics');
  metrics = new Metrics();
  metrics.observeEngine(engine.client);
  controller = new SyncController({ ...engine.ingest, sources: [napsterFactory(upstream)], concurrency: 16, metrics });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, sync: controller, metrics });
});

afterAll(async () => {
  await controller?.stop();
  await upstream?.close();
  await engine?.drop();
});

describe('sync metrics', () => {
  it('show a pass running while it runs, then count what it indexed, skipped and retried', async () => {
    const started = Date.now() / 1000;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let listed = 0;
    upstream.beforeListPage = async (_page, pageSize) => {
      if (pageSize === 1) return; // the totals request at the end
      listed++;
      // The first list request fails once (the client retries it), the second waits for the test.
      if (listed === 1) throw new Error('vendor hiccup');
      if (listed === 2) await held;
    };
    const pass = controller.run();
    while (listed < 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const during = await scrape();
    expect(sampleValue(during, 'transcript_search_sync_running', { source: 'napster' })).toBe(1);
    expect(sampleValue(during, 'transcript_search_sync_sessions_total', { source: 'napster' })).toBe(0);

    release();
    const [summary] = await pass;
    upstream.beforeListPage = undefined;
    expect(summary).toMatchObject({ error: null, sessions: SESSIONS, skipped: 1 });
    expect(summary!.retries).toBeGreaterThanOrEqual(1);

    const after = await scrape();
    const napster = { source: 'napster' };
    expect(sampleValue(after, 'transcript_search_sync_running', napster)).toBe(0);
    expect(sampleValue(after, 'transcript_search_sync_sessions_total', napster)).toBe(SESSIONS);
    expect(sampleValue(after, 'transcript_search_sync_turns_total', napster)).toBe(turnTotal(napsterTranscripts(records)));
    expect(sampleValue(after, 'transcript_search_sync_skipped_total', napster)).toBe(1);
    expect(sampleValue(after, 'transcript_search_sync_retries_total', napster)).toBe(summary!.retries);
    expect(sampleValue(after, 'transcript_search_sync_failed_total', napster)).toBe(0);
    expect(sampleValue(after, 'transcript_search_sync_refused_total', napster)).toBe(0);
    expect(sampleValue(after, 'transcript_search_sync_runs_total', { source: 'napster', result: 'success' })).toBe(1);
    expect(sampleValue(after, 'transcript_search_sync_last_success_timestamp_seconds', napster)).toBeGreaterThanOrEqual(Math.floor(started));
  });

  it('add what a further pass indexed, and nothing for what it found unchanged', async () => {
    const before = await scrape();
    const [summary] = await controller.run();
    expect(summary).toMatchObject({ error: null, skipped: 1 });
    const after = await scrape();
    const napster = { source: 'napster' };
    for (const name of ['sessions', 'turns'] as const) {
      const grew = sampleValue(after, `transcript_search_sync_${name}_total`, napster) - sampleValue(before, `transcript_search_sync_${name}_total`, napster);
      expect(grew).toBe(summary![name]);
    }
    // The malformed session is fetched again each pass, in case the vendor fixed it, and skipped again.
    expect(sampleValue(after, 'transcript_search_sync_skipped_total', napster)).toBe(2);
    expect(sampleValue(after, 'transcript_search_sync_runs_total', { source: 'napster', result: 'success' })).toBe(2);
  });
});

describe('an interrupted sync', () => {
  it('is counted as interrupted, not as a success or an error', async () => {
    const own = new Metrics();
    const stopping = new SyncController({ ...engine.ingest, sources: [napsterFactory(upstream)], concurrency: 16, metrics: own });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reached = false;
    upstream.beforeListPage = async (page, pageSize) => {
      if (pageSize === 1 || page !== 1) return;
      reached = true;
      await held;
    };
    const pass = stopping.run();
    while (!reached) await new Promise((resolve) => setTimeout(resolve, 5));
    const stopped = stopping.stop();
    release();
    await stopped;
    upstream.beforeListPage = undefined;
    const [summary] = await pass;
    expect(summary!.error).toMatch(/^Interrupted/);
    const samples = parseSamples(await own.registry.metrics());
    expect(sampleValue(samples, 'transcript_search_sync_runs_total', { source: 'napster', result: 'interrupted' })).toBe(1);
    expect(sampleValue(samples, 'transcript_search_sync_runs_total', { source: 'napster', result: 'success' })).toBe(0);
    expect(sampleValue(samples, 'transcript_search_sync_running', { source: 'napster' })).toBe(0);
  });
});

describe('request metrics', () => {
  it('count requests and their latency per route pattern and status, never per raw path', async () => {
    const before = await scrape();
    const turns = { method: 'GET', route: '/v1/search/turns', status: '200' };
    const session404 = { method: 'GET', route: '/v1/sessions/:id', status: '404' };
    for (const url of ['/v1/search/turns?q=weather', '/v1/search/turns?q=flight&hitsPerPage=3', '/v1/sessions/sess_unknown_1', '/v1/sessions/sess_unknown_2']) {
      await app.request(url);
    }
    expect((await app.request('/v1/search/turns?page=0')).status).toBe(400);
    expect((await app.request('/wp-admin/secret-probe')).status).toBe(404);
    const after = await scrape();

    const grew = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(grew('http_requests_total', turns)).toBe(2);
    expect(grew('http_request_duration_seconds_count', turns)).toBe(2);
    expect(grew('http_request_duration_seconds_bucket', { ...turns, le: '+Inf' })).toBe(2);
    expect(grew('http_request_duration_seconds_sum', turns)).toBeGreaterThan(0);
    expect(grew('http_requests_total', session404)).toBe(2);
    expect(grew('http_requests_total', { method: 'GET', route: '/v1/search/turns', status: '400' })).toBe(1);
    expect(grew('http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);

    const labelValues = after.flatMap((sample) => Object.values(sample.labels));
    for (const raw of ['sess_unknown_1', 'weather', 'flight', 'secret-probe']) expect(labelValues.join(' ')).not.toContain(raw);
  });

  it('keep a registry per app, so apps in one process do not add to each other', async () => {
    const other = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
    await other.request('/v1/search/turns?q=hello');
    const otherSamples = await scrape(other);
    expect(sampleValue(otherSamples, 'http_requests_total', { route: '/v1/search/turns', status: '200' })).toBe(1);
    expect(sampleValue(otherSamples, 'transcript_search_sync_sessions_total', { source: 'napster' })).toBe(0);
  });
});

describe('engine task failures', () => {
  it('are counted by task type when a waited-for task fails', async () => {
    const before = sampleValue(await scrape(), 'transcript_search_engine_task_failures_total', { type: 'documentAdditionOrUpdate' });
    // A document id with a space is refused by the engine when the task runs, not when it is sent.
    const task = await engine.client.addDocumentsNdjson(engine.names.sessions, '{"id":"not a valid id"}', 'id');
    await expect(engine.client.waitForTask(task)).rejects.toThrow(/failed/);
    const after = sampleValue(await scrape(), 'transcript_search_engine_task_failures_total', { type: 'documentAdditionOrUpdate' });
    expect(after - before).toBe(1);
  });
});

describe('access to /metrics with API keys configured', () => {
  const keys = new ApiKeys([
    { key: 'metrics-admin-key-0123456789', name: 'ops', role: 'admin' },
    { key: 'metrics-scoped-admin-0123456789', name: 'team', role: 'admin', companions: ['comp_a'] },
    { key: 'metrics-search-key-0123456789', name: 'ui', role: 'search' },
  ]);

  it('needs an admin key without companions, like GET /v1/sync', async () => {
    const keyed = createApp({ engine: engine.client, names: engine.names, log: silentLogger, keys });
    const status = async (headers: Record<string, string>) => (await keyed.request('/metrics', { headers })).status;
    expect(await status({})).toBe(401);
    expect(await status({ authorization: 'Bearer wrong-key-0123456789' })).toBe(401);
    expect(await status({ 'x-api-key': 'metrics-search-key-0123456789' })).toBe(403);
    expect(await status({ 'x-api-key': 'metrics-scoped-admin-0123456789' })).toBe(403);
    expect(await status({ authorization: 'Bearer metrics-admin-key-0123456789' })).toBe(200);
    // Liveness stays open for probes.
    expect((await keyed.request('/health')).status).toBe(200);
  });
});
