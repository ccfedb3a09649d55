import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client.js';
import { engineKeyUid, provisionEngineKeys, type EngineKey, type EngineKeys } from '../../src/engine/keys.js';
import { OPEN_API_SIGNER, provisionTokenSigners } from '../../src/engine/token-signers.js';
import { EngineError } from '../../src/errors.js';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { openEngine } from '../../src/runtime.js';
import { loadConfig } from '../../src/config.js';
import { exactKey, idOfKey } from '../../src/engine/documents.js';
import { keyedAnyOf } from '../../src/engine/filter.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { loadCorpusSample, type CorpusSample } from '../support/scoped-corpus.js';

/**
 * POST /v1/search-token and the engine keys behind it, against the real engine: the token is used the
 * way a browser would, straight against Meilisearch, and the engine is what must enforce the scope
 * and the token's end (expiry, or its API key removed and the service restarted).
 */
const SCOPED_KEY = 'scoped-search-key-0123456789';
const SEARCH_KEY = 'search-key-0123456789abcdef';
const PUBLIC_URL = 'https://search.example.com';

let engine: TestEngine;
let sample: CorpusSample;
let keys: EngineKeys;
let scope: string[];
let others: string[];
let app: ReturnType<typeof createApp>;
const clients: EngineClient[] = [];

function apiKeys(entries: Array<'scoped' | 'search'> = ['scoped', 'search']) {
  return new ApiKeys(
    entries.map((entry) =>
      entry === 'scoped' ? { key: SCOPED_KEY, name: 'scoped', role: 'search' as const, companions: scope } : { key: SEARCH_KEY, name: 'search', role: 'search' as const },
    ),
  );
}

/** What `serve` does at start: find or make the signers of the keys in the file, delete the others. */
async function startService(options: { entries?: Array<'scoped' | 'search'>; now?: () => number; publicEngineUrl?: string } = {}) {
  const keysInFile = apiKeys(options.entries);
  const tokenSigners = await provisionTokenSigners(engine.client, engine.prefix, keysInFile.keyIds);
  return createApp({ engine: engine.client, names: engine.names, log: silentLogger, keys: keysInFile, tokenSigners, now: options.now, publicEngineUrl: options.publicEngineUrl });
}

type Minted = { token: string; expiresAt: string; url?: string; indexes: { turns: string; sessions: string } };

async function mintToken(key: string, query = '', on = app): Promise<Minted> {
  const response = await on.request(`/v1/search-token${query}`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Minted;
}

function claimsOf(token: string): { apiKeyUid: string; exp: number; searchRules: Record<string, unknown> } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}

async function listKeys(): Promise<Array<EngineKey & { name: string | null }>> {
  return (await engine.client.request<{ results: Array<EngineKey & { name: string | null }> }>('GET', '/keys', { query: { limit: 10_000 } })).results;
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
  await writeSessions(engine.ingest, sample.records.map(parseVendorSession), { wait: true });
  keys = await provisionEngineKeys(engine.client, engine.prefix);
  app = await startService();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await engine?.drop();
});

describe('POST /v1/search-token', () => {
  it('returns a token, its expiry and the index uids, and no engine URL', async () => {
    const minted = await mintToken(SCOPED_KEY);
    expect(Object.keys(minted).sort()).toEqual(['expiresAt', 'indexes', 'token']);
    expect(JSON.stringify(minted)).not.toContain(engine.url.slice('http://'.length));
    expect(minted.indexes).toEqual({ turns: engine.names.turns, sessions: engine.names.sessions });
    expect(Date.parse(minted.expiresAt)).toBeGreaterThan(Date.now());
    const header = JSON.parse(Buffer.from(minted.token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(claimsOf(minted.token).exp).toBe(Date.parse(minted.expiresAt) / 1000);
  });

  it('returns MEILI_PUBLIC_URL as the url when it is set', async () => {
    const withPublicUrl = await startService({ publicEngineUrl: PUBLIC_URL });
    expect((await mintToken(SEARCH_KEY, '', withPublicUrl)).url).toBe(PUBLIC_URL);
  });

  it('lives ten minutes by default and at most fifteen', async () => {
    const lifetime = (minted: Minted) => Math.round((Date.parse(minted.expiresAt) - Date.now()) / 1000);
    expect(lifetime(await mintToken(SEARCH_KEY))).toBeGreaterThan(590);
    expect(lifetime(await mintToken(SEARCH_KEY))).toBeLessThanOrEqual(600);
    expect(lifetime(await mintToken(SEARCH_KEY, '?expiresInSeconds=900'))).toBeLessThanOrEqual(900);
    for (const seconds of [901, 3_600, 86_400, 59]) {
      const refused = await app.request(`/v1/search-token?expiresInSeconds=${seconds}`, { method: 'POST', headers: { 'x-api-key': SEARCH_KEY } });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toMatch(/expiresInSeconds.*60 to 900/);
    }
  });

  it('signs each API key\'s tokens with an engine key of its own, limited to search on the two indexes', async () => {
    const scoped = claimsOf((await mintToken(SCOPED_KEY)).token);
    const unscoped = claimsOf((await mintToken(SEARCH_KEY)).token);
    expect(scoped.apiKeyUid).not.toBe(unscoped.apiKeyUid);
    expect(Object.keys(unscoped.searchRules).sort()).toEqual([engine.names.sessions, engine.names.turns].sort());
    const signer = await engine.client.request<{ name: string; actions: string[]; indexes: string[] }>('GET', `/keys/${unscoped.apiKeyUid}`);
    expect(signer.actions).toEqual(['search']);
    expect(signer.indexes.sort()).toEqual([engine.names.sessions, engine.names.turns].sort());
    expect(signer.name).toBe(`transcript-search ${engine.prefix}signer ${apiKeys().find(SEARCH_KEY)!.keyId}`);
    expect(JSON.stringify(signer)).not.toContain(SEARCH_KEY);
  });

  it("limits a scoped key's token to its companions on the turns index, even when the browser filters for others", async () => {
    const browser = engineAs((await mintToken(SCOPED_KEY)).token);
    const inScope = sample.rows.filter((row) => scope.includes(row.companionId)).length;
    // The engine filters companions on their exact keys (companionKey, the hex of the id).
    const all = await browser.search(engine.names.turns, { q: '', hitsPerPage: 0, facets: ['companionKey'] });
    expect(all.totalHits).toBe(inScope);
    expect(Object.keys(all.facetDistribution?.companionKey ?? {}).map(idOfKey).sort()).toEqual([...scope].sort());

    const widened = await browser.search<{ companionId: string }>(engine.names.turns, {
      q: '',
      filter: `${keyedAnyOf('companionId', others)} OR companionKey EXISTS OR NOT companionKey = ${JSON.stringify(exactKey(scope[0]!))}`,
      hitsPerPage: 100,
    });
    expect(widened.hits.every((hit) => scope.includes(hit.companionId))).toBe(true);
    const named = await browser.search(engine.names.turns, { q: '', filter: keyedAnyOf('companionId', others), hitsPerPage: 0 });
    expect(named.totalHits).toBe(0);
  });

  it('limits the sessions index the same way', async () => {
    const browser = engineAs((await mintToken(SCOPED_KEY)).token);
    const sessionsInScope = new Set(sample.rows.filter((row) => scope.includes(row.companionId)).map((row) => row.sessionId));
    const result = await browser.search(engine.names.sessions, { q: '', hitsPerPage: 0, filter: keyedAnyOf('companionId', others) });
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
    const twoHoursAgo = await startService({ now: () => Date.now() - 2 * 3_600_000 });
    const minted = await mintToken(SEARCH_KEY, '?expiresInSeconds=60', twoHoursAgo);
    expect(Date.parse(minted.expiresAt)).toBeLessThan(Date.now());
    const error = await engineError(engineAs(minted.token).search(engine.names.turns, { q: '' }));
    expect(error.httpStatus).toBe(403);
    expect(error.message).toMatch(/expired/i);
  });

  it('needs a valid key', async () => {
    expect((await app.request('/v1/search-token', { method: 'POST' })).status).toBe(401);
  });

  it('gives the open API tokens of a signer of its own', async () => {
    const tokenSigners = await provisionTokenSigners(engine.client, engine.prefix, [OPEN_API_SIGNER]);
    const open = createApp({ engine: engine.client, names: engine.names, log: silentLogger, tokenSigners });
    const response = await open.request('/v1/search-token', { method: 'POST' });
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as Minted;
    expect(claimsOf(token).apiKeyUid).toBe(tokenSigners.get(OPEN_API_SIGNER)!.uid);
    expect((await engineAs(token).search(engine.names.turns, { q: '', hitsPerPage: 0 })).totalHits).toBe(sample.rows.length);
    // The service restarts with API keys: the open API's tokens end.
    app = await startService();
    expect((await engineError(engineAs(token).search(engine.names.turns, { q: '' }))).httpStatus).toBe(403);
  });
});

describe('when an API key is removed', () => {
  it('its tokens stop working once the service restarts without it; the other keys\' tokens go on', async () => {
    const removed = (await mintToken(SCOPED_KEY)).token;
    const kept = (await mintToken(SEARCH_KEY)).token;
    expect((await engineAs(removed).search(engine.names.turns, { q: '', hitsPerPage: 0 })).totalHits).toBeGreaterThan(0);

    app = await startService({ entries: ['search'] });
    const error = await engineError(engineAs(removed).search(engine.names.turns, { q: '' }));
    expect(error.httpStatus).toBe(403);
    expect((await engineAs(kept).search(engine.names.turns, { q: '', hitsPerPage: 0 })).totalHits).toBe(sample.rows.length);
    expect((await engineAs((await mintToken(SEARCH_KEY)).token).search(engine.names.turns, { q: '', hitsPerPage: 0 })).totalHits).toBe(sample.rows.length);

    // Put back, the key gets a signer with a new secret: the old token stays dead, new ones work.
    app = await startService();
    expect((await engineError(engineAs(removed).search(engine.names.turns, { q: '' }))).httpStatus).toBe(403);
    const fresh = (await mintToken(SCOPED_KEY)).token;
    expect(claimsOf(fresh).apiKeyUid).not.toBe(claimsOf(removed).apiKeyUid);
    expect((await engineAs(fresh).search(engine.names.turns, { q: '', hitsPerPage: 0 })).totalHits).toBeGreaterThan(0);
  });

  it('leaves the signers of keys still in the file to two services starting at once', async () => {
    const ids = apiKeys().keyIds;
    const [first, second] = await Promise.all([
      provisionTokenSigners(engine.client, engine.prefix, ids),
      provisionTokenSigners(engine.client, engine.prefix, ids),
    ]);
    const stored = new Set((await listKeys()).map((key) => key.uid));
    for (const signers of [first, second]) {
      for (const id of ids) expect(stored.has(signers.get(id)!.uid)).toBe(true);
    }
    const again = await provisionTokenSigners(engine.client, engine.prefix, ids);
    expect(await provisionTokenSigners(engine.client, engine.prefix, ids)).toEqual(again);
  });

  it("touches no key of another prefix, no key of the operator's, and deletes the single signer of older versions", async () => {
    const otherPrefix = `${engine.prefix}other_`;
    const others = await provisionTokenSigners(engine.client, otherPrefix, [OPEN_API_SIGNER, apiKeys().keyIds[0]!]);
    const operators = await engine.client.request<EngineKey>('POST', '/keys', {
      body: { name: `transcript-search ${engine.prefix}signer by hand`, actions: ['search'], indexes: ['*'], expiresAt: null },
    });
    const legacy = engineKeyUid(engine.prefix, 'search');
    await engine.client.request('POST', '/keys', {
      body: { uid: legacy, name: `transcript-search ${engine.prefix}search`, actions: ['search'], indexes: [engine.names.turns, engine.names.sessions], expiresAt: null },
    });
    try {
      await provisionTokenSigners(engine.client, engine.prefix, []);
      const stored = new Set((await listKeys()).map((key) => key.uid));
      expect([...others.values()].every((signer) => stored.has(signer.uid))).toBe(true);
      expect(stored.has(operators.uid)).toBe(true);
      expect(stored.has(legacy)).toBe(false);
      expect((await listKeys()).filter((key) => key.name?.startsWith(`transcript-search ${engine.prefix}signer `)).map((key) => key.uid)).toEqual([operators.uid]);
    } finally {
      await engine.client.request('DELETE', `/keys/${operators.uid}`);
      await provisionTokenSigners(engine.client, otherPrefix, []);
      app = await startService();
    }
  });
});

describe('engine keys', () => {
  it('finds the same keys on every start instead of creating more', async () => {
    const again = await provisionEngineKeys(engine.client, engine.prefix);
    expect(again).toEqual(keys);
    await startService();
    const ours = (await listKeys()).filter((key) => key.name?.startsWith(`transcript-search ${engine.prefix}`));
    const ids = apiKeys().keyIds;
    expect(ours.map((key) => key.name).sort()).toEqual(
      [`transcript-search ${engine.prefix}indexing`, ...ids.map((id) => `transcript-search ${engine.prefix}signer ${id}`)].sort(),
    );
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
    const ids = apiKeys().keyIds;
    const handle = await openEngine(loadConfig({ MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix }), { tokenSigners: ids });
    try {
      expect([...handle.tokenSigners!.keys()].sort()).toEqual([...ids].sort());
      expect(await handle.client.documentCount(engine.names.turns)).toBe(sample.rows.length);
      expect((await engineError(handle.client.request('GET', '/keys'))).httpStatus).toBe(403);
    } finally {
      await handle.close();
    }
  });

  it('uses a key that is not the master key as it is, and then has no tokens to give', async () => {
    const adminKey = await engine.client.request<EngineKey>('POST', '/keys', {
      body: { description: 'search-token test: an admin key that is not the master key', actions: ['*'], indexes: ['*'], expiresAt: null },
    });
    const handle = await openEngine(loadConfig({ MEILI_URL: engine.url, MEILI_API_KEY: adminKey.key, INDEX_PREFIX: engine.prefix }), { tokenSigners: [OPEN_API_SIGNER] });
    try {
      expect(handle.tokenSigners).toBeUndefined();
      const withoutTokens = createApp({ engine: handle.client, names: handle.names, log: silentLogger });
      const response = await withoutTokens.request('/v1/search-token', { method: 'POST' });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('MEILI_MASTER_KEY');
    } finally {
      await handle.close();
      await engine.client.request('DELETE', `/keys/${adminKey.uid}`);
    }
  });

  it('names MEILI_MASTER_KEY when the engine does not take it as its master key', async () => {
    const config = loadConfig({ MEILI_URL: engine.url, MEILI_MASTER_KEY: keys.indexing.key, INDEX_PREFIX: engine.prefix });
    await expect(openEngine(config, { waitForEngineMs: 1_000 })).rejects.toThrow(/MEILI_MASTER_KEY/);
  });
});
