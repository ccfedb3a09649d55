import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { EngineClient } from '../../src/engine/client.js';
import { indexNames } from '../../src/engine/indexes.js';
import { Leases } from '../../src/engine/lease.js';
import { OPEN_API_SIGNER, provisionTokenSigners } from '../../src/engine/token-signers.js';
import { createApp } from '../../src/http/app.js';
import type { RouteDeclaration } from '../../src/http/route.js';
import { API_ROUTES } from '../../src/http/routes/index.js';
import { ErrorBody } from '../../src/http/schemas/error.js';
import { SyncController } from '../../src/ingest/sync-controller.js';
import { silentLogger } from '../../src/logger.js';
import { createAgentsSource } from '../../src/sources/agents/client.js';
import type { SessionSource } from '../../src/sources/source.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from '../support/agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { agentsFactory } from '../support/sync.js';

/**
 * Real answers of every route against the responses its declaration documents: a JSON body must parse
 * with the declared schema and hold nothing the schema leaves out, errors must be the error schema,
 * and other bodies must have the declared content type. The data is real (both corpora, one source
 * synced from the agents fake, the other pushed), so optional and nullable fields take both forms.
 * Every response any route declares must be seen here: a new route or status needs a case.
 */
type App = ReturnType<typeof createApp>;
type AgentSession = AgentRecord & { session_id: string; character_slug: string; transcript: Array<{ text: string }> };
type NapsterSession = { id: string; companionId: string; externalClientId: string; conversation: { items: Array<{ text: string }> } };

const DECLARED = new Map(API_ROUTES.map(({ declaration }) => [`${declaration.method.toUpperCase()} ${declaration.path}`, declaration]));
const seen = new Set<string>();

let engine: TestEngine;
let upstream: AgentsUpstream;
let vendor: SessionSource;
let sync: SyncController;
let leases: Leases;
let app: App;
let down: App;
let downEngine: EngineClient;
let agents: AgentSession[];
let napster: NapsterSession[];

function expectShape(schema: z.ZodType, body: unknown, where: string): void {
  const parsed = schema.safeParse(body);
  expect(parsed.success ? [] : parsed.error.issues, where).toEqual([]);
  // A schema drops the fields it does not declare: an answer holding one differs from its parse.
  expect(parsed.data, `${where}: a field the schema does not declare`).toEqual(body);
}

/** Sends the request to a declared route and checks the answer against the declaration; returns a JSON body. */
async function call(method: string, route: string, url: string, init: RequestInit = {}, on: App = app): Promise<any> {
  const declaration: RouteDeclaration | undefined = DECLARED.get(`${method} ${route}`);
  expect(declaration, `${method} ${route} is declared`).toBeDefined();
  const response = await on.request(url, { ...init, method });
  const where = `${method} ${url} → ${response.status}`;
  const type = response.headers.get('content-type') ?? '';
  const reply = declaration!.responses[response.status];
  if (!reply) {
    expect(response.status, where).toBeGreaterThanOrEqual(400);
    expect(type, where).toMatch(/^application\/json/);
    expectShape(ErrorBody, await response.json(), where);
    return undefined;
  }
  seen.add(`${method} ${route} ${response.status}`);
  if ('schema' in reply) {
    expect(type, where).toMatch(/^application\/json/);
    const body: unknown = await response.json();
    expectShape(reply.schema, body, where);
    return body;
  }
  if ('redirect' in reply) {
    expect(response.headers.get('location'), where).toMatch(/^https?:\/\//);
    return undefined;
  }
  expect([reply.contentType].flat().some((declared) => type.startsWith(declared)), `${where}: ${type}`).toBe(true);
  await response.arrayBuffer();
  return undefined;
}

const json = (body: unknown): RequestInit => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

beforeAll(async () => {
  agents = await loadCorpus<AgentSession>(AGENTS_CORPUS, 40);
  napster = await loadCorpus<NapsterSession>(NAPSTER_CORPUS, 40);
  // One record that fails the vendor schema: the sync status then lists a skipped session and a totals mismatch.
  const { transcript: _dropped, ...broken } = agents.at(-1)!;
  upstream = await startAgentsUpstream({ records: [...agents.slice(0, -1), { ...broken, session_id: `${broken.session_id}-broken` }] });
  engine = await createTestEngine('schemas');
  vendor = createAgentsSource({ apiKey: upstream.apiKey, baseUrl: upstream.url, listPath: upstream.listPath, detailPath: upstream.detailPath, rps: 1_000, concurrency: 4 });
  leases = new Leases(engine.client, engine.names.state, { process: 'serve', ttlMs: 60_000, log: silentLogger });
  sync = new SyncController({ ...engine.ingest, sources: [agentsFactory(upstream)], concurrency: 4, leases });
  app = createApp({
    engine: engine.client,
    names: engine.names,
    log: silentLogger,
    sync,
    tokenSigners: await provisionTokenSigners(engine.client, engine.prefix, [OPEN_API_SIGNER]),
    publicEngineUrl: 'https://search.example.com',
    vendors: { agents: vendor },
  });

  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
  downEngine = new EngineClient({ url: `http://127.0.0.1:${port}`, apiKey: 'none' });
  down = createApp({ engine: downEngine, names: indexNames('down_'), log: silentLogger });
});

afterAll(async () => {
  await sync?.stop();
  await vendor?.close();
  await upstream?.close();
  await downEngine?.close();
  await engine?.drop();
});

describe('answers match their declared schemas', () => {
  it('health and readiness, up and down', async () => {
    await call('GET', '/health', '/health');
    await call('GET', '/ready', '/ready');
    await call('GET', '/ready', '/ready', {}, down);
    await call('GET', '/v1/search/turns', '/v1/search/turns?q=hello', {}, down);
  });

  it('sync: start, status while running and after, with a skipped record and a totals mismatch', async () => {
    expect(await call('GET', '/v1/sync', '/v1/sync')).toMatchObject({ sources: [{ source: 'agents', lastRun: null, totals: null }] });
    expect(await call('POST', '/v1/sync', '/v1/sync?source=agents')).toEqual({ started: ['agents'], heldElsewhere: [] });
    await call('GET', '/v1/sync', '/v1/sync');
    await sync.run({ source: 'agents' });
    const { sources } = await call('GET', '/v1/sync', '/v1/sync');
    expect(sources[0].skippedSessions).toHaveLength(1);
    expect(sources[0].totals.mismatches.length).toBeGreaterThan(0);
    await call('POST', '/v1/sync', '/v1/sync?full=maybe');
    // Another process syncing the source: not started here, and named, in both answers.
    const elsewhere = new Leases(engine.client, engine.names.state, { process: 'sync', ttlMs: 60_000, log: silentLogger }).lease('agents');
    expect((await elsewhere.tryAcquire()).acquired).toBe(true);
    expect(await call('POST', '/v1/sync', '/v1/sync')).toMatchObject({ started: [], heldElsewhere: [{ source: 'agents', lease: { holder: { process: 'sync' }, thisProcess: false } }] });
    expect(await call('GET', '/v1/sync', '/v1/sync')).toMatchObject({ sources: [{ source: 'agents', lease: { holder: { process: 'sync' }, thisProcess: false } }] });
    await elsewhere.release();
  });

  it('pushes, accepted and rejected', async () => {
    const pushed = await call('POST', '/v1/sessions', '/v1/sessions?wait=true', json([...napster, { id: 'not-a-session' }]));
    expect(pushed).toMatchObject({ accepted: napster.length, rejected: [{ index: napster.length }] });
    await call('POST', '/v1/sessions', '/v1/sessions', { body: '{}', headers: { 'content-type': 'text/plain' } });
  });

  it('searches turns, with and without text, facets and context', async () => {
    const facets = 'facets=companionId,externalClientId,tenantId,tags,role,source,knowledgeBaseId,functions,faqIds';
    const page = await call('GET', '/v1/search/turns', `/v1/search/turns?q=you&context=2&hitsPerPage=50&${facets}`);
    expect(page.hits.some((hit: { context?: { before: unknown[] } }) => hit.context!.before.length > 0)).toBe(true);
    expect(page.hits.some((hit: { highlight: string }) => hit.highlight.includes('<mark>'))).toBe(true);
    await call('GET', '/v1/search/turns', `/v1/search/turns?sort=oldest&${facets}`);
    await call('GET', '/v1/search/turns', '/v1/search/turns?hitsPerPage=0');
  });

  it('searches sessions, through turns and through sessions, with stats', async () => {
    const facets = 'facets=companionId,externalClientId,tenantId,tags,source,knowledgeBaseId,functions,faqIds';
    const matched = await call('GET', '/v1/search/sessions', `/v1/search/sessions?q=you&hitsPerPage=50&${facets}`);
    expect(matched.hits.some((hit: { matchedTurnIndex: number | null }) => hit.matchedTurnIndex !== null)).toBe(true);
    const all = await call('GET', '/v1/search/sessions', `/v1/search/sessions?hitsPerPage=100&${facets}`);
    expect(new Set(all.hits.map((hit: { source: string }) => hit.source))).toEqual(new Set(['napster', 'agents']));
    expect(all.stats.costUsd.count).toBeGreaterThan(0);
  });

  it('searches sessions by what both sides said: each hit lists its matches', async () => {
    const page = await call('GET', '/v1/search/sessions', `/v1/search/sessions?said=${encodeURIComponent('any:you')}&said=${encodeURIComponent('any:the')}&order=said&hitsPerPage=50`);
    expect(page.hits.length).toBeGreaterThan(0);
    expect(page.hits.every((hit: { matches: unknown[] }) => hit.matches.length === 2)).toBe(true);
  });

  it('exports turns and sessions, as JSON lines and as CSV', async () => {
    for (const route of ['turns', 'sessions']) {
      for (const format of ['jsonl', 'csv']) await call('GET', `/v1/export/${route}`, `/v1/export/${route}?q=you&format=${format}`);
    }
    await call('GET', '/v1/export/turns', '/v1/export/turns?format=pdf');
  });

  it('lists facet values', async () => {
    for (const name of ['companionId', 'externalClientId', 'tenantId', 'tags', 'knowledgeBaseId', 'functions', 'faqIds']) {
      await call('GET', '/v1/facets/:name', `/v1/facets/${name}`, {});
    }
    await call('GET', '/v1/facets/:name', '/v1/facets/text');
  });

  it('reads sessions of both vendors, and their recordings', async () => {
    for (const id of [agents[0]!.session_id, napster[0]!.id]) await call('GET', '/v1/sessions/:id', `/v1/sessions/${id}`);
    await call('GET', '/v1/sessions/:id', '/v1/sessions/no-such-session');
    const recorded = agents[0]!.session_id;
    await call('GET', '/v1/sessions/:id/recording', `/v1/sessions/${recorded}/recording?redirect=false`);
    await call('GET', '/v1/sessions/:id/recording', `/v1/sessions/${recorded}/recording`);
  });

  it('mints a search token', async () => {
    expect(await call('POST', '/v1/search-token', '/v1/search-token?expiresInSeconds=60')).toMatchObject({ url: 'https://search.example.com' });
  });

  it('deletes a session, forgets a client, lists and re-enables it', async () => {
    await call('DELETE', '/v1/sessions/:id', `/v1/sessions/${napster[1]!.id}`);
    const client = napster[2]!.externalClientId;
    expect(await call('DELETE', '/v1/clients/:externalClientId', `/v1/clients/${client}`)).toMatchObject({ externalClientId: client });
    expect((await call('GET', '/v1/forgotten-clients', '/v1/forgotten-clients')).clients).toHaveLength(1);
    await call('DELETE', '/v1/forgotten-clients/:externalClientId', `/v1/forgotten-clients/${client}`);
  });

  it('makes, reads, changes and deletes a tracker, with its matches, trend and deliveries', async () => {
    const body = { name: 'thanks', search: 'q=thank&role=user', webhookUrl: 'http://127.0.0.1:9/hook', threshold: { sessionsPerDay: 1 } };
    const made = await call('POST', '/v1/trackers', '/v1/trackers', json(body));
    expect(made).toMatchObject({ name: 'thanks', secret: expect.any(String) });
    await call('POST', '/v1/trackers', '/v1/trackers', json({ name: 'x', search: 'page=2' }));
    expect((await call('GET', '/v1/trackers', '/v1/trackers')).trackers).toHaveLength(1);
    await call('GET', '/v1/trackers/:id', `/v1/trackers/${made.id}`);
    await call('GET', '/v1/trackers/:id', '/v1/trackers/trk_0000000000000000');
    await call('PATCH', '/v1/trackers/:id', `/v1/trackers/${made.id}`, json({ webhookUrl: null, rotateSecret: true }));
    await call('PATCH', '/v1/trackers/:id', `/v1/trackers/${made.id}`, json({ threshold: null }));
    expect((await call('GET', '/v1/trackers/:id/matches', `/v1/trackers/${made.id}/matches?hitsPerPage=5`)).totalHits).toBeGreaterThan(0);
    expect((await call('GET', '/v1/trackers/:id/trend', `/v1/trackers/${made.id}/trend?interval=week`)).buckets.length).toBeGreaterThan(0);
    await call('GET', '/v1/trackers/:id/deliveries', `/v1/trackers/${made.id}/deliveries`);
    await call('DELETE', '/v1/trackers/:id', `/v1/trackers/${made.id}`);
  });

  it('describes itself, and serves its pages and metrics with their declared types', async () => {
    await call('GET', '/openapi.json', '/openapi.json');
    await call('GET', '/docs', '/docs');
    await call('GET', '/', '/');
    await call('GET', '/trackers', '/trackers');
    for (const file of ['app.js', 'style.css']) await call('GET', '/ui/:file', `/ui/${file}`);
    await call('GET', '/metrics', '/metrics');
  });

  it('has seen every response that any route declares', () => {
    const declared = [...DECLARED].flatMap(([route, declaration]) => Object.keys(declaration.responses).map((status) => `${route} ${status}`));
    expect(declared.filter((response) => !seen.has(response))).toEqual([]);
  });
});
