import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client.js';
import { engineKeyUid, provisionEngineKeys, type EngineKeys } from '../../src/engine/keys.js';
import { EngineError } from '../../src/errors.js';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { openEngine } from '../../src/runtime.js';
import { loadConfig } from '../../src/config.js';
import { anyOf } from '../../src/engine/filter.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { loadCorpusSample, type CorpusSample } from '../support/scoped-corpus.js';

/**
 * POST /v1/search-token and the engine keys behind it, against the real engine: the token is used the
 * way a browser would, straight against Meilisearch, and the engine is what must enforce the scope.
 */
const SCOPED_KEY = 'scoped-search-key-0123456789';
const SEARCH_KEY = 'search-key-0123456789abcdef';

let engine: TestEngine;
let sample: CorpusSample;
let keys: EngineKeys;
let scope: string[];
let others: string[];
let app: ReturnType<typeof createApp>;
const clients: EngineClient[] = [];

function createAppAt(now?: () => number) {
  return createApp({
    engine: engine.client,
    names: engine.names,
    log: silentLogger,
    keys: new ApiKeys([
      { key: SCOPED_KEY, name: 'scoped', role: 'search', companions: scope },
      { key: SEARCH_KEY, name: 'search', role: 'search' },
    ]),
    searchKey: keys.search,
    now,
  });
}

async function mintToken(key: string, query = '', on = app) {
  const response = await on.request(`/v1/search-token${query}`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { token: string; expiresAt: string; url: string; indexes: { turns: string; sessions: string } };
}

/** An engine client holding `key`, as a browser holding a token would be. */
function engineAs(key: string): EngineClient {
  const client = new EngineClient({ url: engine.url, apiKey: key });
  clients.push(client);
  return client;
}

async function engineError(call: Promise<unknown>): Promise<EngineError> {
  const error = await call.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

beforeAll(async () => {
  sample = await loadCorpusSample({ napster: 400, stride: 40, agents: 150 });
  scope = sample.companions.slice(1, 3);
  others = sample.companions.filter((companion) => !scope.includes(companion));
  engine = await createTestEngine('token');
  await writeSessions(engine.client, engine.names, sample.records.map(parseVendorSession), { wait: true });
  keys = await provisionEngineKeys(engine.client, engine.prefix);
  app = createAppAt();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  for (const role of ['indexing', 'search'] as const) {
    await engine?.client.request('DELETE', `/keys/${engineKeyUid(engine.prefix, role)}`).catch(() => undefined);
  }
  await engine?.drop();
});

describe('POST /v1/search-token', () => {
  it('returns a token, its expiry, the engine URL and the index uids', async () => {
    const minted = await mintToken(SCOPED_KEY);
    expect(minted.url).toBe(engine.url);
    expect(minted.indexes).toEqual({ turns: engine.names.turns, sessions: engine.names.sessions });
    expect(Date.parse(minted.expiresAt)).toBeGreaterThan(Date.now());
    const [header, payload] = minted.token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload.apiKeyUid).toBe(keys.search.uid);
    expect(payload.exp).toBe(Date.parse(minted.expiresAt) / 1000);
  });

  it("limits a scoped key's token to its companions on the turns index, even when the browser filters for others", async () => {
    const browser = engineAs((await mintToken(SCOPED_KEY)).token);
    const inScope = sample.rows.filter((row) => scope.includes(row.companionId)).length;
    const all = await browser.search(engine.names.turns, { q: '', hitsPerPage: 0, facets: ['companionId'] });
    expect(all.totalHits).toBe(inScope);
    expect(Object.keys(all.facetDistribution?.companionId ?? {}).sort()).toEqual([...scope].sort());

    const widened = await browser.search<{ companionId: string }>(engine.names.turns, {
      q: '',
      filter: `${anyOf('companionId', others)} OR companionId EXISTS OR NOT companionId = ${JSON.stringify(scope[0])}`,
      hitsPerPage: 100,
    });
    expect(widened.hits.every((hit) => scope.includes(hit.companionId))).toBe(true);
    const named = await browser.search(engine.names.turns, { q: '', filter: anyOf('companionId', others), hitsPerPage: 0 });
    expect(named.totalHits).toBe(0);
  });

  it('limits the sessions index the same way', async () => {
    const browser = engineAs((await mintToken(SCOPED_KEY)).token);
    const sessionsInScope = new Set(sample.rows.filter((row) => scope.includes(row.companionId)).map((row) => row.sessionId));
    const result = await browser.search(engine.names.sessions, { q: '', hitsPerPage: 0, filter: anyOf('companionId', others) });
    expect(result.totalHits).toBe(0);
    expect((await browser.search(engine.names.sessions, { q: '', hitsPerPage: 0 })).totalHits).toBe(sessionsInScope.size);
  });

  it("gives an unscoped key's token every companion, and nothing but search", async () => {
    const browser = engineAs((await mintToken(SEARCH_KEY)).token);
    expect((await browser.search(engine.names.turns, { q: '', hitsPerPage: 0 })).totalHits).toBe(sample.rows.length);
    expect((await engineError(browser.fetchDocuments(engine.names.turns, { limit: 1 }))).httpStatus).toBe(403);
    expect((await engineError(browser.search(engine.names.state, { q: '' }))).httpStatus).toBe(403);
    expect((await engineError(browser.deleteDocumentsByFilter(engine.names.turns, 'turnIndex >= 0'))).httpStatus).toBe(403);
  });

  it('is refused by the engine once expired', async () => {
    const twoHoursAgo = createAppAt(() => Date.now() - 2 * 3_600_000);
    const minted = await mintToken(SEARCH_KEY, '?expiresInSeconds=60', twoHoursAgo);
    expect(Date.parse(minted.expiresAt)).toBeLessThan(Date.now());
    const error = await engineError(engineAs(minted.token).search(engine.names.turns, { q: '' }));
    expect(error.httpStatus).toBe(403);
    expect(error.message).toMatch(/expired/i);
  });

  it('needs a valid key, and validates its parameter', async () => {
    expect((await app.request('/v1/search-token', { method: 'POST' })).status).toBe(401);
    const bad = await app.request('/v1/search-token?expiresInSeconds=999999', { method: 'POST', headers: { 'x-api-key': SEARCH_KEY } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('expiresInSeconds');
  });
});

describe('engine keys', () => {
  it('finds the same two keys on every start instead of creating more', async () => {
    const again = await provisionEngineKeys(engine.client, engine.prefix);
    expect(again).toEqual(keys);
    const listed = await engine.client.request<{ results: Array<{ name: string | null }> }>('GET', '/keys', { query: { limit: 1000 } });
    const ours = listed.results.filter((key) => key.name?.startsWith(`transcript-search ${engine.prefix}`));
    expect(ours.map((key) => key.name).sort()).toEqual([`transcript-search ${engine.prefix}indexing`, `transcript-search ${engine.prefix}search`]);
  });

  it('replaces a key whose rights differ (made by an older version) with one of the same value', async () => {
    const uid = engineKeyUid(engine.prefix, 'indexing');
    await engine.client.request('DELETE', `/keys/${uid}`);
    await engine.client.request('POST', '/keys', { body: { uid, actions: ['search'], indexes: [engine.names.turns], expiresAt: null } });
    expect(await provisionEngineKeys(engine.client, engine.prefix)).toEqual(keys);
    const stored = await engine.client.request<{ actions: string[]; indexes: string[] }>('GET', `/keys/${uid}`);
    expect(stored.actions).toContain('documents.*');
    expect(stored.indexes).toContain(engine.names.state);
  });

  it('gives the indexing key its own indexes only, and no key management', async () => {
    const indexing = engineAs(keys.indexing.key);
    expect(await indexing.documentCount(engine.names.sessions)).toBe(sample.records.length);
    expect((await engineError(indexing.request('GET', '/keys'))).httpStatus).toBe(403);
    expect((await engineError(indexing.enqueue('POST', '/indexes', { body: { uid: `${engine.prefix}other` } }))).httpStatus).toBe(403);
  });

  it('makes the service work with the indexing key when it holds the master key', async () => {
    const handle = await openEngine(loadConfig({ MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix }));
    try {
      expect(handle.searchKey).toEqual(keys.search);
      expect(await handle.client.documentCount(engine.names.turns)).toBe(sample.rows.length);
      expect((await engineError(handle.client.request('GET', '/keys'))).httpStatus).toBe(403);
    } finally {
      await handle.close();
    }
  });

  it('uses a key that is not the master key as it is, and then has no tokens to give', async () => {
    const listed = await engine.client.request<{ results: Array<{ key: string; name: string | null }> }>('GET', '/keys', { query: { limit: 1000 } });
    const adminKey = listed.results.find((key) => key.name === 'Default Admin API Key')!.key;
    const handle = await openEngine(loadConfig({ MEILI_URL: engine.url, MEILI_API_KEY: adminKey, INDEX_PREFIX: engine.prefix }));
    try {
      expect(handle.searchKey).toBeUndefined();
      const withoutTokens = createApp({ engine: handle.client, names: handle.names, log: silentLogger });
      const response = await withoutTokens.request('/v1/search-token', { method: 'POST' });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('MEILI_MASTER_KEY');
    } finally {
      await handle.close();
    }
  });

  it('names MEILI_MASTER_KEY when the engine does not take it as its master key', async () => {
    const config = loadConfig({ MEILI_URL: engine.url, MEILI_MASTER_KEY: keys.indexing.key, INDEX_PREFIX: engine.prefix });
    await expect(openEngine(config, { waitForEngineMs: 1_000 })).rejects.toThrow(/MEILI_MASTER_KEY/);
  });
});
