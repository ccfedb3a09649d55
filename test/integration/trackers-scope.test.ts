import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { TrackerService } from '../../src/trackers/service.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { engineEqualVariants } from '../support/hostile.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Trackers under scoped keys: a tracker belongs to the scope of the key that made it, matches and
 * sends only within it, and is invisible to keys whose scope does not hold it. The companions beside
 * `comp_a` are the ids the engine's filter equality takes for it (case, width, spaces).
 */
const KEYS = {
  admin: 'trackers-admin-key-0123456789',
  aAdmin: 'trackers-comp-a-admin-0123456',
  aSearch: 'trackers-comp-a-search-012345',
  bAdmin: 'trackers-comp-b-admin-0123456',
} as const;
type Who = keyof typeof KEYS;

const PHRASE = 'lighthouse keeper';
const COMPANIONS = ['comp_a', ...engineEqualVariants('comp_a'), 'comp_b'];

let engine: TestEngine;
let app: ReturnType<typeof createApp>;
let trackers: TrackerService;
let receiver: WebhookReceiver;
let serial = 0;

function session(companionId: string, texts: string[]) {
  const createdAt = 1_767_225_600 + serial * 3_600;
  return {
    id: `sess_${serial++}`, companionId, externalClientId: `user_${serial}`, tags: {}, createdAt, startedAt: createdAt, closedAt: createdAt + 50,
    conversation: { items: texts.map((text, i) => ({ role: i % 2 ? 'agent' : 'user', text, timestamp: createdAt + i })) },
  };
}

async function call(who: Who, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${KEYS[who]}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

const pushAll = (records: unknown[]) => call('admin', 'POST', '/v1/sessions?wait=true', records);

beforeAll(async () => {
  engine = await createTestEngine('trackers_scope');
  receiver = await startWebhookReceiver();
  const keys = new ApiKeys([
    { key: KEYS.admin, name: 'admin', role: 'admin' },
    { key: KEYS.aAdmin, name: 'a-admin', role: 'admin', companions: ['comp_a'] },
    { key: KEYS.aSearch, name: 'a-search', role: 'search', companions: ['comp_a'] },
    { key: KEYS.bAdmin, name: 'b-admin', role: 'admin', companions: ['comp_b'] },
  ]);
  trackers = new TrackerService({ engine: engine.client, names: engine.names, log: silentLogger }, { retryBaseMs: 50, engineUrls: [engine.url] });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, keys, trackers });
  await pushAll(COMPANIONS.map((companion) => session(companion, [`I met the ${PHRASE} today`, 'How nice'])));
});

afterAll(async () => {
  await receiver?.close();
  await engine?.drop();
});

describe('trackers within scopes', () => {
  let tracker: { id: string };

  it("are made within the maker's scope, and match only there, history included", async () => {
    // The search names every companion a filter may (no control characters): the scope still holds.
    const named = COMPANIONS.filter((companion) => !/[\u0000-\u001f]/.test(companion));
    const search = `q=${encodeURIComponent(`"${PHRASE}"`)}&${named.map((c) => `companionId=${encodeURIComponent(c)}`).join('&')}`;
    const made = await call('aAdmin', 'POST', '/v1/trackers', { name: 'lighthouse', search, webhookUrl: receiver.url });
    expect(made.status).toBe(201);
    expect(made.body.scope).toEqual({ companions: ['comp_a'] });
    tracker = made.body;
    const matches = await call('aAdmin', 'GET', `/v1/trackers/${tracker.id}/matches`);
    expect(matches.body.hits.map((hit: { companionId: string }) => hit.companionId)).toEqual(['comp_a']);
    const trend = await call('aAdmin', 'GET', `/v1/trackers/${tracker.id}/trend`);
    expect(trend.body.buckets.reduce((sum: number, bucket: { turns: number }) => sum + bucket.turns, 0)).toBe(1);
    // The unscoped admin sees the same: the tracker's own scope, not the reader's, bounds it.
    expect((await call('admin', 'GET', `/v1/trackers/${tracker.id}/matches`)).body.totalHits).toBe(1);
  });

  it('are visible to keys whose scope holds them, and to no other, alike with 404', async () => {
    expect((await call('admin', 'GET', '/v1/trackers')).body.trackers).toHaveLength(1);
    const reader = await call('aSearch', 'GET', `/v1/trackers/${tracker.id}`);
    expect(reader.status).toBe(200);
    expect(reader.body).not.toHaveProperty('webhookUrl');
    expect(reader.body.hasWebhook).toBe(true);
    expect((await call('aSearch', 'GET', `/v1/trackers/${tracker.id}/deliveries`)).status).toBe(403);
    expect((await call('aSearch', 'DELETE', `/v1/trackers/${tracker.id}`)).status).toBe(403);
    expect((await call('bAdmin', 'GET', '/v1/trackers')).body.trackers).toEqual([]);
    for (const path of ['', '/matches', '/trend', '/deliveries']) {
      const other = await call('bAdmin', 'GET', `/v1/trackers/${tracker.id}${path}`);
      expect(other.status, path).toBe(404);
      expect(other.body.error.message).toBe(`No tracker '${tracker.id}'`);
    }
    for (const variant of engineEqualVariants(tracker.id)) {
      expect((await call('aAdmin', 'GET', `/v1/trackers/${encodeURIComponent(variant)}`)).status, variant).toBe(404);
    }
    expect((await call('bAdmin', 'PATCH', `/v1/trackers/${tracker.id}`, { name: 'mine now' })).status).toBe(404);
    expect((await call('bAdmin', 'DELETE', `/v1/trackers/${tracker.id}`)).status).toBe(404);
  });

  it("send only their scope's new matches, never a companion the engine takes for it", async () => {
    await pushAll(COMPANIONS.map((companion) => session(companion, ['Hello', `The ${PHRASE} waved`])));
    await trackers.settle();
    const sent = receiver.received.flatMap((webhook) => JSON.parse(webhook.body).matches as Array<{ companionId: string; turnIndex: number }>);
    expect(sent.map((match) => [match.companionId, match.turnIndex])).toEqual([['comp_a', 1]]);
  });

  it('keep nothing of a forgotten client: its matches and deliveries go with its sessions', async () => {
    const { deliveries } = (await call('admin', 'GET', `/v1/trackers/${tracker.id}/deliveries`)).body;
    expect(deliveries).toHaveLength(1);
    const sessionId = deliveries[0].sessionIds[0] as string;
    const client = (await call('admin', 'GET', `/v1/sessions/${sessionId}`)).body.externalClientId as string;
    expect((await call('admin', 'DELETE', `/v1/clients/${client}`)).status).toBe(200);
    expect((await call('admin', 'GET', `/v1/trackers/${tracker.id}/deliveries`)).body.deliveries).toEqual([]);
    const { results } = await engine.client.fetchDocuments<{ kind: string; sessionId?: string }>(engine.names.state, { limit: 1_000 });
    // The history the tracker found by searching was never recorded: no match record is left at all.
    expect(results.filter((record) => record.kind === 'match')).toEqual([]);
    expect(results.filter((record) => record.kind === 'tracker')).toHaveLength(1);
  });
});
