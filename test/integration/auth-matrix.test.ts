import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { engineKeyUid } from '../../src/engine/keys.js';
import { provisionTokenSigners } from '../../src/engine/token-signers.js';
import { ApiKeys, keyIdOf } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { SyncController } from '../../src/ingest/sync-controller.js';
import { silentLogger } from '../../src/logger.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { createNapsterSource } from '../../src/sources/napster/client.js';
import { containsPhrase } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { loadCorpusSample, type CorpusRow, type CorpusSample } from '../support/scoped-corpus.js';

/**
 * Who may do what (issue 5): every endpoint against no key, a wrong key, and search / admin keys with
 * and without a companion scope, with keys sent both ways the contract allows. Then what a scoped key
 * sees: only its companions, in hits, facets, stats, facet values and session detail, and nothing that
 * confirms other companions exist.
 */
type CallerName = 'none' | 'bad' | 'search' | 'admin' | 'scopedSearch' | 'scopedAdmin';
const KEYS: Record<Exclude<CallerName, 'none'>, string> = {
  bad: 'not-a-key-of-this-service',
  search: 'search-key-0123456789abcdef',
  admin: 'admin-key-0123456789abcdef',
  scopedSearch: 'scoped-search-key-0123456789',
  scopedAdmin: 'scoped-admin-key-0123456789',
};
const CALLERS: CallerName[] = ['none', 'bad', 'search', 'admin', 'scopedSearch', 'scopedAdmin'];

type Page = {
  hits: Array<Record<string, any>>;
  totalHits: number;
  facets: Record<string, Record<string, number>>;
  stats?: { count: number; turnCount: { sum: number } };
};

let engine: TestEngine;
let sample: CorpusSample;
let upstream: NapsterUpstream;
let sync: SyncController;
let app: ReturnType<typeof createApp>;
let scope: string[];
/** A session in scope and one outside it, and a client with sessions on both sides. */
let inScopeSession: Record<string, unknown>;
let outOfScopeSession: Record<string, unknown>;
let straddlingClient: string;

const idOf = (record: Record<string, unknown>) => String(record.id ?? record.session_id);
const inScope = (row: CorpusRow) => scope.includes(row.companionId);

function send(caller: CallerName, path: string, init: RequestInit = {}, style: 'bearer' | 'x-api-key' = 'bearer') {
  const headers = new Headers(init.headers);
  if (caller !== 'none') headers.set(style === 'bearer' ? 'authorization' : 'x-api-key', style === 'bearer' ? `Bearer ${KEYS[caller]}` : KEYS[caller]);
  return app.request(path, { ...init, headers });
}

async function getPage(caller: CallerName, path: string): Promise<Page> {
  const response = await send(caller, path);
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as Page;
}

const CODE_BY_STATUS: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' };

beforeAll(async () => {
  sample = await loadCorpusSample({ napster: 400, stride: 40, agents: 150 });
  scope = sample.companions.slice(0, 2);
  const companionOf = (record: Record<string, unknown>) => String(record.companionId ?? record.character_slug);
  const napsterOutside = sample.records.find((record) => 'companionId' in record && !scope.includes(companionOf(record)))!;
  // The same client under a companion in scope: a clone with its own id (built at run time, from the corpus).
  const clone = { ...napsterOutside, id: `${idOf(napsterOutside)}_in_scope`, companionId: scope[0] };
  sample.records.push(clone);
  const raw = clone as unknown as { externalClientId: string; tags: Record<string, string>; conversation: { items: Array<{ role: 'user' | 'agent'; text: string }> } };
  for (const item of raw.conversation.items) {
    sample.rows.push({
      sessionId: clone.id, companionId: scope[0]!, clientId: raw.externalClientId, tenantId: null,
      tags: Object.entries(raw.tags).map(([key, value]) => `${key}:${value}`), role: item.role, text: item.text,
    });
  }
  straddlingClient = raw.externalClientId;
  outOfScopeSession = napsterOutside;
  inScopeSession = sample.records.find((record) => 'companionId' in record && scope.includes(companionOf(record)) && record !== clone)!;

  engine = await createTestEngine('auth');
  await writeSessions(engine.ingest, sample.records.map(parseVendorSession), { wait: true });
  // An upstream with nothing new: POST /v1/sync starts a real pass that changes nothing.
  upstream = await startNapsterUpstream({ records: [] });
  sync = new SyncController({
    ...engine.ingest,
    sources: [{ name: 'napster', create: () => createNapsterSource({ apiKey: upstream.apiKey, baseUrl: upstream.url, rps: 1_000, concurrency: 4 }) }],
    concurrency: 4,
  });
  app = createApp({
    engine: engine.client,
    names: engine.names,
    log: silentLogger,
    sync,
    tokenSigners: await provisionTokenSigners(engine.client, engine.prefix, [KEYS.search, KEYS.admin, KEYS.scopedSearch, KEYS.scopedAdmin].map(keyIdOf)),
    keys: new ApiKeys([
      { key: KEYS.search, name: 'search', role: 'search' },
      { key: KEYS.admin, name: 'admin', role: 'admin' },
      { key: KEYS.scopedSearch, name: 'scoped-search', role: 'search', companions: scope },
      { key: KEYS.scopedAdmin, name: 'scoped-admin', role: 'admin', companions: scope },
    ]),
  });
});

afterAll(async () => {
  await sync?.stop();
  await upstream?.close();
  for (const role of ['indexing', 'search'] as const) {
    await engine?.client.request('DELETE', `/keys/${engineKeyUid(engine.prefix, role)}`).catch(() => undefined);
  }
  await engine?.drop();
});

type Row = { method: string; path: () => string; body?: () => string; expect: Record<CallerName, number> };
const expectAuth = (search: number, admin: number, scopedSearch: number, scopedAdmin: number): Record<CallerName, number> => ({
  none: 401, bad: 401, search, admin, scopedSearch, scopedAdmin,
});

const MATRIX: Array<[string, Row]> = [
  ['GET /v1/search/turns', { method: 'GET', path: () => '/v1/search/turns?q=hello', expect: expectAuth(200, 200, 200, 200) }],
  ['GET /v1/search/sessions', { method: 'GET', path: () => '/v1/search/sessions?q=hello', expect: expectAuth(200, 200, 200, 200) }],
  ['GET /v1/sessions/{in scope}', { method: 'GET', path: () => `/v1/sessions/${idOf(inScopeSession)}`, expect: expectAuth(200, 200, 200, 200) }],
  ['GET /v1/sessions/{out of scope}', { method: 'GET', path: () => `/v1/sessions/${idOf(outOfScopeSession)}`, expect: expectAuth(200, 200, 404, 404) }],
  ['GET /v1/facets/{name}', { method: 'GET', path: () => '/v1/facets/companionId', expect: expectAuth(200, 200, 200, 200) }],
  // An export is a read: any key may, each within its scope.
  ['GET /v1/export/turns', { method: 'GET', path: () => '/v1/export/turns?q=hello', expect: expectAuth(200, 200, 200, 200) }],
  ['GET /v1/export/sessions', { method: 'GET', path: () => '/v1/export/sessions?format=csv', expect: expectAuth(200, 200, 200, 200) }],
  ['POST /v1/sessions', { method: 'POST', path: () => '/v1/sessions?wait=true', body: () => JSON.stringify(inScopeSession), expect: expectAuth(403, 202, 403, 202) }],
  ['DELETE /v1/sessions/{id}', { method: 'DELETE', path: () => '/v1/sessions/no-such-session', expect: expectAuth(403, 404, 403, 404) }],
  // Forgetting a client never seen is recorded in advance (200): a 404 would tell a scoped key whether the client exists elsewhere.
  ['DELETE /v1/clients/{id}', { method: 'DELETE', path: () => '/v1/clients/no-such-client', expect: expectAuth(403, 200, 403, 200) }],
  ['GET /v1/sync', { method: 'GET', path: () => '/v1/sync', expect: expectAuth(403, 200, 403, 403) }],
  ['POST /v1/sync', { method: 'POST', path: () => '/v1/sync', expect: expectAuth(403, 202, 403, 403) }],
  ['POST /v1/search-token', { method: 'POST', path: () => '/v1/search-token', expect: expectAuth(200, 200, 200, 200) }],
  ['GET /v1/forgotten-clients', { method: 'GET', path: () => '/v1/forgotten-clients', expect: expectAuth(403, 200, 403, 403) }],
  ['DELETE /v1/forgotten-clients/{id}', { method: 'DELETE', path: () => '/v1/forgotten-clients/never-forgotten-client', expect: expectAuth(403, 404, 403, 403) }],
];

describe.each(['bearer', 'x-api-key'] as const)('access matrix, key sent as %s', (style) => {
  it.each(MATRIX)('%s', async (_name, row) => {
    const answers: Partial<Record<CallerName, number>> = {};
    for (const caller of CALLERS) {
      const response = await send(caller, row.path(), { method: row.method, body: row.body?.(), headers: row.body ? { 'content-type': 'application/json' } : {} }, style);
      answers[caller] = response.status;
      const code = CODE_BY_STATUS[response.status];
      if (code) expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(answers).toEqual(row.expect);
    await sync.stop();
  });

  it('keeps /health and /ready open to everyone', async () => {
    for (const caller of CALLERS) {
      expect((await send(caller, '/health', {}, style)).status).toBe(200);
      expect((await send(caller, '/ready', {}, style)).status).toBe(200);
    }
  });
});

describe('why a key is refused', () => {
  const messageOf = async (caller: CallerName, method: string, path: string) => {
    const response = await send(caller, path, { method });
    expect(response.status).toBe(403);
    return ((await response.json()) as { error: { message: string } }).error.message;
  };

  it.each([
    ['GET', '/v1/sync'],
    ['POST', '/v1/sync'],
    ['GET', '/metrics'],
  ])('tells a search key calling %s %s that it needs the admin role and has the search role', async (method, path) => {
    const message = await messageOf('search', method, path);
    expect(message).toMatch(/needs a key of role admin without companions, tenants or externalClients, and this key's role is search$/);
    expect(message).not.toContain('change data');
  });

  it('tells a search key that writing needs the admin role', async () => {
    expect(await messageOf('search', 'DELETE', '/v1/sessions/no-such-session')).toBe(
      "This key may search but not change data: this needs a key of role admin, and this key's role is search",
    );
  });

  it('tells a scoped admin key that the route spans every scope and its key has one', async () => {
    expect(await messageOf('scopedAdmin', 'GET', '/v1/sync')).toBe(
      'Sync status spans every companion, tenant and client: this needs an admin key without companions, tenants or externalClients, and this key has a scope',
    );
    expect(await messageOf('scopedAdmin', 'GET', '/metrics')).toMatch(/^Metrics count every companion, tenant and client: .* this key has a scope$/);
  });
});

describe('a key limited to some companions', () => {
  it('sees only their turns, and turn facets of only those companions', async () => {
    const expected = sample.rows.filter(inScope);
    const page = await getPage('scopedSearch', '/v1/search/turns?hitsPerPage=100&facets=companionId,externalClientId,tenantId,tags,role');
    expect(page.totalHits).toBe(expected.length);
    expect(page.hits.length).toBeGreaterThan(0);
    expect(page.hits.every((hit) => scope.includes(hit.companionId))).toBe(true);
    expect(Object.keys(page.facets.companionId!).sort()).toEqual([...scope].sort());
    const clients = new Set(expected.map((row) => row.clientId));
    expect(Object.keys(page.facets.externalClientId!).every((client) => clients.has(client))).toBe(true);
    expect(page.facets.externalClientId![straddlingClient]).toBe(expected.filter((row) => row.clientId === straddlingClient).length);
  });

  it('finds text only in its companions even when the words occur everywhere', async () => {
    const phrase = 'thank you';
    const everywhere = sample.rows.filter((row) => containsPhrase(row.text, phrase));
    expect(new Set(everywhere.map((row) => row.companionId)).size).toBeGreaterThan(scope.length);
    const page = await getPage('scopedSearch', `/v1/search/turns?q=${encodeURIComponent(`"${phrase}"`)}&hitsPerPage=100`);
    expect(page.totalHits).toBe(everywhere.filter(inScope).length);
    expect(page.hits.every((hit) => scope.includes(hit.companionId))).toBe(true);
  });

  it('gets session hits, facets and stats over its companions only', async () => {
    const sessions = new Set(sample.rows.filter(inScope).map((row) => row.sessionId));
    for (const query of ['', '&q=the']) {
      const page = await getPage('scopedSearch', `/v1/search/sessions?hitsPerPage=100&facets=companionId${query}`);
      expect(page.hits.every((hit) => scope.includes(hit.companionId))).toBe(true);
      expect(Object.keys(page.facets.companionId!).every((companion) => scope.includes(companion))).toBe(true);
      expect(page.stats!.count).toBe(page.totalHits);
      if (query === '') {
        expect(page.totalHits).toBe(sessions.size);
        expect(page.stats!.turnCount.sum).toBe(sample.rows.filter(inScope).length);
      }
    }
  });

  it('lists facet values of its companions only, counted in its sessions', async () => {
    const companions = (await (await send('scopedSearch', '/v1/facets/companionId')).json()) as { values: Array<{ value: string; count: number }> };
    expect(companions.values.map((v) => v.value).sort()).toEqual([...scope].sort());
    for (const { value, count } of companions.values) {
      expect(count).toBe(new Set(sample.rows.filter((row) => row.companionId === value).map((row) => row.sessionId)).size);
    }
    const prefix = straddlingClient.slice(0, 6);
    const clients = (await (await send('scopedSearch', `/v1/facets/externalClientId?q=${prefix}`)).json()) as { values: Array<{ value: string; count: number }> };
    const inScopeClients = new Set(sample.rows.filter(inScope).map((row) => row.clientId));
    expect(clients.values.every((v) => inScopeClients.has(v.value))).toBe(true);
    const straddlingSessions = new Set(sample.rows.filter((row) => row.clientId === straddlingClient && inScope(row)).map((row) => row.sessionId));
    expect(clients.values.find((v) => v.value === straddlingClient)?.count).toBe(straddlingSessions.size);
  });

  it('gets the same 404 for a session outside its scope as for one that does not exist', async () => {
    const outside = idOf(outOfScopeSession);
    const hidden = await send('scopedSearch', `/v1/sessions/${outside}`);
    const missing = await send('scopedSearch', `/v1/sessions/${outside}x`);
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    const shape = async (response: Response, id: string) => {
      const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
      return { ...body.error, message: body.error.message.replace(id, '<id>'), requestId: undefined };
    };
    expect(await shape(hidden, outside)).toEqual(await shape(missing, `${outside}x`));
    expect((await getPage('search', `/v1/sessions/${outside}`) as unknown as { sessionId: string }).sessionId).toBe(outside);
  });

  it('gets an empty result, not an error, for a filter naming a companion outside its scope', async () => {
    const outside = sample.companions.find((companion) => !scope.includes(companion))!;
    for (const path of [`/v1/search/turns?companionId=${outside}`, `/v1/search/sessions?companionId=${outside}`, `/v1/search/sessions?q=the&companionId=${outside}`]) {
      const page = await getPage('scopedSearch', `${path}&facets=companionId`);
      expect(page).toMatchObject({ totalHits: 0, hits: [], facets: { companionId: {} } });
    }
    const values = (await (await send('scopedSearch', `/v1/facets/companionId?companionId=${outside}`)).json()) as { values: unknown[] };
    expect(values.values).toEqual([]);
    const mixed = await getPage('scopedSearch', `/v1/search/turns?companionId=${outside}&companionId=${scope[0]}&hitsPerPage=1`);
    expect(mixed.totalHits).toBe(sample.rows.filter((row) => row.companionId === scope[0]).length);
  });

  it('may push only sessions of its companions when it is an admin key', async () => {
    const response = await send('scopedAdmin', '/v1/sessions?wait=true', { method: 'POST', body: JSON.stringify([inScopeSession, outOfScopeSession]), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { accepted: number; rejected: Array<{ index: number; error: string }> };
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([{ index: 1, error: expect.stringContaining('scope') }]);
  });

  it('may delete only sessions of its companions when it is an admin key', async () => {
    const outside = idOf(outOfScopeSession);
    expect((await send('scopedAdmin', `/v1/sessions/${outside}`, { method: 'DELETE' })).status).toBe(404);
    expect((await send('admin', `/v1/sessions/${outside}`)).status).toBe(200);
  });

  it("forgets a client only within its companions when it is an admin key, leaving the client's other sessions", async () => {
    const sessionsOf = (keep: (row: CorpusRow) => boolean) => new Set(sample.rows.filter((row) => row.clientId === straddlingClient && keep(row)).map((row) => row.sessionId));
    const response = await send('scopedAdmin', `/v1/clients/${straddlingClient}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { deleted: { sessions: number }; forgotten: { scope: { companions: string[] } } };
    expect(body.deleted.sessions).toBe(sessionsOf(inScope).size);
    expect(body.forgotten.scope).toEqual({ companions: [...scope] });
    const left = await getPage('admin', `/v1/search/sessions?externalClientId=${straddlingClient}&hitsPerPage=100`);
    expect(new Set(left.hits.map((hit) => hit.sessionId))).toEqual(sessionsOf((row) => !inScope(row)));
    // Re-enabling spans every companion: an operator's decision, not a scoped key's.
    expect((await send('scopedAdmin', `/v1/forgotten-clients/${straddlingClient}`, { method: 'DELETE' })).status).toBe(403);
    expect((await send('admin', `/v1/forgotten-clients/${straddlingClient}`, { method: 'DELETE' })).status).toBe(200);
  });
});
