import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactKey } from '../../src/engine/documents.js';
import { ApiKeys } from '../../src/http/api-keys.js';
import { flattenSession } from '../../src/ingest/flatten.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { engineEqualVariants } from '../support/hostile.js';

/**
 * Identity and scope against the engine's own matching rules (issue 14, items 1–5, 8, 9, 12): the
 * engine's filter equality takes `USER_1`, ` user_1 ` and `ｕser_1` for `user_1`, so every one of those
 * is planted next to the real ids, under other companions, tenants and clients, and every scoped key
 * (companion, tenant, client) must see exactly its own documents, everywhere it looks.
 */
const KEYS = {
  admin: 'identity-admin-key-0123456789',
  companionAdmin: 'identity-companion-admin-0123',
  companionSearch: 'identity-companion-search-012',
  tenantSearch: 'identity-tenant-search-012345',
  clientSearch: 'identity-client-search-012345',
} as const;
type Who = keyof typeof KEYS;

const SCOPES = {
  companionSearch: { kind: 'companionId', id: 'comp_a' },
  tenantSearch: { kind: 'tenantId', id: 'tenant-a' },
  clientSearch: { kind: 'externalClientId', id: 'user_01117' },
} as const;

type Pushed = { sessionId: string; companionId: string; tenantId: string | null; externalClientId: string | null; texts: string[] };

let engine: TestEngine;
let app: ReturnType<typeof createApp>;
const pushed: Pushed[] = [];
let serial = 0;

function napster(id: string, companionId: string, externalClientId: string, texts: string[], extra: Record<string, unknown> = {}) {
  const createdAt = 1_767_225_600 + serial++ * 60;
  return {
    id, companionId, externalClientId, tags: { channel: 'web' }, createdAt, startedAt: createdAt, closedAt: createdAt + 50,
    conversation: { items: texts.map((text, i) => ({ role: i % 2 ? 'agent' : 'user', text, timestamp: createdAt + i })) },
    ...extra,
  };
}

function agent(id: string, character: string, tenant: string, user: string, texts: string[]) {
  const created = new Date((1_767_225_600 + serial++ * 60) * 1000).toISOString();
  return {
    session_id: id, tenant_id: tenant, character_slug: character, user, created_at: created, finalized_at: created,
    transcript: texts.map((text, i) => ({ role: i % 2 ? 'assistant' : 'user', text, turn_index: i, ts: i })),
  };
}

async function send(who: Who, path: string, init: RequestInit = {}) {
  const headers = { authorization: `Bearer ${KEYS[who]}`, ...(init.body ? { 'content-type': 'application/json' } : {}) };
  return app.request(path, { ...init, headers });
}

async function json<T = any>(who: Who, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await send(who, path, init);
  return { status: response.status, body: (await response.json()) as T };
}

async function push(who: Who, records: unknown, wait = true) {
  return json(who, `/v1/sessions?wait=${wait}`, { method: 'POST', body: JSON.stringify(records) });
}

beforeAll(async () => {
  engine = await createTestEngine('identity');
  const keys = new ApiKeys([
    { key: KEYS.admin, name: 'admin', role: 'admin' },
    { key: KEYS.companionAdmin, name: 'comp-a-admin', role: 'admin', companions: ['comp_a'] },
    { key: KEYS.companionSearch, name: 'comp-a-search', role: 'search', companions: ['comp_a'] },
    { key: KEYS.tenantSearch, name: 'tenant-a-search', role: 'search', tenants: ['tenant-a'] },
    { key: KEYS.clientSearch, name: 'client-search', role: 'search', externalClients: ['user_01117'] },
  ]);
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, keys });

  const records: unknown[] = [];
  const add = (record: unknown, owner: Pushed) => {
    records.push(record);
    pushed.push(owner);
  };
  // The real ids, and next to them every variant the engine's equality would take for them.
  add(napster('sess_victim', 'comp_b', 'user_01117', ['the victim says zanzibar']), { sessionId: 'sess_victim', companionId: 'comp_b', tenantId: null, externalClientId: 'user_01117', texts: ['the victim says zanzibar'] });
  add(napster('sess_mine', 'comp_a', 'user_01117', ['my own zanzibar words', 'noted']), { sessionId: 'sess_mine', companionId: 'comp_a', tenantId: null, externalClientId: 'user_01117', texts: ['my own zanzibar words', 'noted'] });
  engineEqualVariants('comp_a').forEach((companion, i) => {
    const id = `sess_companion_variant_${i}`;
    add(napster(id, companion, 'user_02000', [`companion variant ${i} zanzibar`]), { sessionId: id, companionId: companion, tenantId: null, externalClientId: 'user_02000', texts: [`companion variant ${i} zanzibar`] });
  });
  engineEqualVariants('user_01117').forEach((user, i) => {
    const id = `0b6f5a3e-1c2d-4e5f-8a9b-00000000010${i}`;
    add(agent(id, 'comp_a', 'tenant-z', user, [`client variant ${i} zanzibar`]), { sessionId: id, companionId: 'comp_a', tenantId: 'tenant-z', externalClientId: user, texts: [`client variant ${i} zanzibar`] });
  });
  engineEqualVariants('tenant-a').forEach((tenant, i) => {
    const id = `0b6f5a3e-1c2d-4e5f-8a9b-00000000020${i}`;
    add(agent(id, 'comp_c', tenant, 'user_03000', [`tenant variant ${i} zanzibar`]), { sessionId: id, companionId: 'comp_c', tenantId: tenant, externalClientId: 'user_03000', texts: [`tenant variant ${i} zanzibar`] });
  });
  const tenantA = '0b6f5a3e-1c2d-4e5f-8a9b-000000000300';
  add(agent(tenantA, 'comp_c', 'tenant-a', 'user_03000', ['tenant a zanzibar']), { sessionId: tenantA, companionId: 'comp_c', tenantId: 'tenant-a', externalClientId: 'user_03000', texts: ['tenant a zanzibar'] });
  const answer = await push('admin', records);
  expect(answer.body).toEqual({ accepted: records.length, rejected: [], redactions: {} });
});

afterAll(async () => {
  await engine?.drop();
});

const ownedBy = (who: keyof typeof SCOPES) => pushed.filter((session) => session[SCOPES[who].kind] === SCOPES[who].id);

describe.each(Object.keys(SCOPES) as Array<keyof typeof SCOPES>)('a key scoped by %s', (who) => {
  const { kind, id } = SCOPES[who];

  it('finds exactly its own turns and sessions, with facets and stats of those alone', async () => {
    const mine = ownedBy(who);
    const turns = await json(who, '/v1/search/turns?q=zanzibar&hitsPerPage=100&facets=companionId,externalClientId,tenantId');
    expect(turns.status).toBe(200);
    expect(new Set(turns.body.hits.map((hit: any) => hit.sessionId))).toEqual(new Set(mine.map((session) => session.sessionId)));
    expect(turns.body.hits.every((hit: any) => hit[kind] === id)).toBe(true);
    expect(Object.keys(turns.body.facets[kind])).toEqual([id]);
    const sessions = await json(who, '/v1/search/sessions?hitsPerPage=100&facets=companionId,externalClientId,tenantId');
    expect(sessions.body.totalHits).toBe(mine.length);
    expect(sessions.body.stats.count).toBe(mine.length);
    expect(sessions.body.stats.turnCount.sum).toBe(mine.reduce((sum, session) => sum + session.texts.length, 0));
    expect(Object.keys(sessions.body.facets[kind])).toEqual([id]);
  });

  it('gets nothing by naming a variant the engine would take as its own id', async () => {
    for (const variant of engineEqualVariants(id)) {
      const param = kind === 'companionId' ? 'companionId' : kind === 'tenantId' ? 'tenantId' : 'externalClientId';
      const result = await json(who, `/v1/search/turns?${param}=${encodeURIComponent(variant)}&hitsPerPage=1`);
      // A control character (the tab variant) is refused outright; everything else finds nothing.
      if (result.status === 400) expect(variant, variant).toMatch(/[\u0000-\u001f]/);
      else expect(result.body.totalHits, variant).toBe(0);
    }
    const values = await json(who, `/v1/facets/${kind}?q=`);
    expect(values.body.values.map((value: any) => value.value)).toEqual(ownedBy(who).length > 0 ? [id] : []);
  });

  it('answers 404 for every session outside the scope, variants included, as for one that does not exist', async () => {
    for (const session of pushed.filter((candidate) => candidate[kind] !== id)) {
      const response = await json(who, `/v1/sessions/${encodeURIComponent(session.sessionId)}`);
      expect(response.status, session.sessionId).toBe(404);
      expect(response.body.error.message).toBe(`No session '${session.sessionId}'`);
    }
    for (const session of ownedBy(who)) expect((await send(who, `/v1/sessions/${encodeURIComponent(session.sessionId)}`)).status).toBe(200);
  });
});

describe('ids that differ only by case', () => {
  it('are other sessions: a scoped admin pushing a foreign id in upper case neither reads nor deletes the foreign turns', async () => {
    const upper = napster('SESS_VICTIM', 'comp_a', 'user_01117', ['planted by comp_a']);
    expect((await push('companionAdmin', [upper])).body).toEqual({ accepted: 1, rejected: [], redactions: {} });
    const planted = await json('companionAdmin', '/v1/sessions/SESS_VICTIM');
    expect(planted.body.turns.map((turn: any) => turn.text)).toEqual(['planted by comp_a']);
    expect((await push('companionAdmin', [{ ...upper, conversation: { items: [] } }])).body.accepted).toBe(1);
    const victim = await json('admin', '/v1/sessions/sess_victim');
    expect(victim.body).toMatchObject({ companionId: 'comp_b' });
    expect(victim.body.turns.map((turn: any) => turn.text)).toEqual(['the victim says zanzibar']);
    expect((await send('companionAdmin', '/v1/sessions/SESS_VICTIM', { method: 'DELETE' })).status).toBe(200);
    expect((await json('admin', '/v1/sessions/sess_victim')).body.turns).toHaveLength(1);
  });
});

describe('a push to a session outside the key\'s scope', () => {
  it('is a 404, exactly as a read is, and the session keeps its owner and its turns', async () => {
    const takeover = napster('sess_victim', 'comp_a', 'user_01117', ['taken over']);
    const single = await push('companionAdmin', takeover);
    expect(single.status).toBe(404);
    const read = await json('companionAdmin', '/v1/sessions/sess_victim');
    expect(single.body.error.message).toBe(read.body.error.message);
    const batch = await push('companionAdmin', [napster('sess_new_ok', 'comp_a', 'user_05000', ['fine']), takeover]);
    expect(batch.body).toEqual({ accepted: 1, rejected: [{ index: 1, error: "No session 'sess_victim'" }], redactions: {} });
    const victim = await json('admin', '/v1/sessions/sess_victim');
    expect(victim.body).toMatchObject({ companionId: 'comp_b' });
    expect(victim.body.turns.map((turn: any) => turn.text)).toEqual(['the victim says zanzibar']);
    expect((await send('companionAdmin', '/v1/sessions/sess_victim', { method: 'DELETE' })).status).toBe(404);
  });

  it('of a session whose companion is outside the scope is refused as such, with 403 for one session', async () => {
    const foreign = napster('sess_elsewhere', 'comp_b', 'user_05001', ['x']);
    expect((await push('companionAdmin', foreign)).status).toBe(403);
    expect((await push('companionAdmin', [foreign])).body.rejected).toEqual([{ index: 0, error: "its companion, tenant or client is outside this key's scope" }]);
  });
});

describe('forgetting a client', () => {
  it('deletes exactly that id: USER_01117, User_01117 and other variants are other people and stay', async () => {
    const variants = pushed.filter((session) => session.externalClientId !== 'user_01117' && engineEqualVariants('user_01117').includes(session.externalClientId!));
    expect(variants.length).toBeGreaterThan(3);
    const forgotten = await json('admin', '/v1/clients/user_01117', { method: 'DELETE' });
    expect(forgotten.status).toBe(200);
    expect(forgotten.body.deleted.sessions).toBe(pushed.filter((session) => session.externalClientId === 'user_01117').length);
    for (const session of variants) expect((await send('admin', `/v1/sessions/${session.sessionId}`)).status, session.externalClientId!).toBe(200);
    expect((await json('admin', '/v1/search/turns?externalClientId=user_01117&hitsPerPage=1')).body.totalHits).toBe(0);
  });

  it('then refuses that id again, and only that id: another case is another valid client', async () => {
    const again = await push('admin', napster('sess_back', 'comp_a', 'user_01117', ['back again']));
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/client 'user_01117' was forgotten/);
    expect((await push('admin', [napster('sess_other_case', 'comp_a', 'User_01117', ['another person'])])).body).toEqual({ accepted: 1, rejected: [], redactions: {} });
    // Napster's own rule for client ids refuses the space and full-width variants outright.
    for (const invalid of [' user_01117', 'user_01117 ', 'ｕser_01117']) {
      const response = await push('admin', napster(`sess_invalid_${exactKey(invalid)}`, 'comp_a', invalid, ['x']));
      expect(response.status, invalid).toBe(400);
      expect(response.body.error.message).toMatch(/externalClientId: expected 1 to 32 of A-Z a-z 0-9 _ -/);
    }
    expect((await json('admin', '/v1/search/turns?externalClientId=user_01117&hitsPerPage=1')).body.totalHits).toBe(0);
  });

  it('leaves no task in the engine that names the client: the deletions\' filters are removed with them', async () => {
    const { results } = await engine.client.request<{ results: Array<{ indexUid: string; details?: Record<string, unknown> }> }>('GET', '/tasks', {
      query: { indexUids: [engine.names.turns, engine.names.sessions].join(','), limit: 1000 },
    });
    const text = JSON.stringify(results);
    expect(text).not.toContain(exactKey('user_01117'));
    expect(text).not.toContain('user_01117');
  });

  it('answers a scoped admin within its scope only: the same for a client never seen as for one forgotten elsewhere', async () => {
    expect((await json('admin', '/v1/clients/user_09999', { method: 'DELETE' })).status).toBe(200);
    const elsewhere = await json('companionAdmin', '/v1/clients/user_09999', { method: 'DELETE' });
    const never = await json('companionAdmin', '/v1/clients/user_09998', { method: 'DELETE' });
    const shape = (body: any) => ({ ...body, externalClientId: 'X', forgotten: { ...body.forgotten, forgottenAt: 'T' } });
    expect(elsewhere.status).toBe(never.status);
    expect(shape(elsewhere.body)).toEqual(shape(never.body));
    expect(elsewhere.body.forgotten).toMatchObject({ scope: { companions: ['comp_a'] }, forgottenBy: 'comp-a-admin' });
    expect(JSON.stringify(elsewhere.body)).not.toContain('comp_b');
  });

  it('never rewrites who forgot when: a second forget answers with the first, and the list keeps every one', async () => {
    const first = await json('companionAdmin', '/v1/clients/user_02000', { method: 'DELETE' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await json('companionAdmin', '/v1/clients/user_02000', { method: 'DELETE' });
    expect(second.body.forgotten).toEqual(first.body.forgotten);
    await json('admin', '/v1/clients/user_02000', { method: 'DELETE' });
    const third = await json('companionAdmin', '/v1/clients/user_02000', { method: 'DELETE' });
    expect(third.body.forgotten).toEqual(first.body.forgotten);
    const list = await json('admin', '/v1/forgotten-clients');
    const record = list.body.clients.find((client: any) => client.externalClientId === 'user_02000');
    expect(record.entries.map((entry: any) => entry.forgottenBy)).toEqual(['comp-a-admin', 'admin']);
    expect(record.entries[0].forgottenAt).toBe(first.body.forgotten.forgottenAt);
  });

  it('refuses an empty id and one no session could carry', async () => {
    expect((await send('admin', `/v1/clients/${'x'.repeat(201)}`, { method: 'DELETE' })).status).toBe(400);
  });
});

describe('a forget racing a push', () => {
  it('never leaves the forgotten client searchable, whatever the interleaving', async () => {
    for (let run = 0; run < 3; run++) {
      const client = `user_race_${run}`;
      const sessions = Array.from({ length: 5_000 }, (_, i) =>
        napster(`sess_race_${run}_${i}`, 'comp_r', i % 10 === 0 ? client : `user_bystander_${i % 7}`, ['hello there', 'race condition words']),
      );
      const pushing = push('admin', sessions, false);
      await new Promise((resolve) => setTimeout(resolve, 40 + run * 15));
      const forgetting = json('admin', `/v1/clients/${client}`, { method: 'DELETE' });
      const [pushed, forgot] = await Promise.all([pushing, forgetting]);
      expect(pushed.status).toBe(202);
      expect(forgot.status).toBe(200);
      await waitForIdleEngine();
      const left = await json('admin', `/v1/search/sessions?externalClientId=${client}&hitsPerPage=1`);
      expect(left.body.totalHits, `run ${run}`).toBe(0);
    }
  });
});

describe('input that costs or breaks', () => {
  it('refuses a date no ISO-8601 can show, and shows as null one stored before dates were bounded', async () => {
    const far = await push('admin', napster('sess_far_future', 'comp_a', 'user_06000', ['x'], { createdAt: 1e20 }));
    expect(far.status).toBe(400);
    expect(far.body.error.message).toMatch(/createdAt: expected Unix seconds before the year 10000/);
    // A session document as a version without date bounds stored it.
    const legacy = flattenSession(parseVendorSession(napster('legacy_bad_time', 'comp_a', 'user_06000', ['x']))).session;
    await engine.client.waitForTask(await engine.client.addDocuments(engine.names.sessions, [{ ...legacy, createdAt: 1e20, startedAt: 1e20 }]));
    const listing = await json('admin', '/v1/search/sessions?hitsPerPage=100&sort=newest');
    expect(listing.status).toBe(200);
    expect(listing.body.hits.find((hit: any) => hit.sessionId === 'legacy_bad_time')).toMatchObject({ createdAt: null, startedAt: null });
    expect((await send('admin', '/v1/sessions/legacy_bad_time')).status).toBe(200);
  });

  it('refuses a session that would multiply at the engine, naming the limit, and keeps answering', async () => {
    const tags = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`tag${i}`, 'v'.repeat(1_000)]));
    const texts = Array.from({ length: 1_000 }, (_, i) => `turn ${i}`);
    const response = await push('admin', napster('sess_amplified', 'comp_a', 'user_07000', texts, { tags }));
    expect(response.status).toBe(413);
    expect(response.body.error.message).toMatch(/session exceeds a limit: 100 tags, at most 64 are allowed/);
    expect((await send('admin', '/v1/search/turns?q=zanzibar')).status).toBe(200);
  });
});

async function waitForIdleEngine(): Promise<void> {
  for (;;) {
    const { results } = await engine.client.request<{ results: unknown[] }>('GET', '/tasks', {
      query: { statuses: 'enqueued,processing', indexUids: [engine.names.turns, engine.names.sessions].join(','), limit: 1 },
    });
    if (results.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
