import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { ingestDeps, type IngestDeps } from '../../src/ingest/deps.js';
import { SyncPass } from '../../src/ingest/sync-pass.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { TrackerService } from '../../src/trackers/service.js';
import { containsPhrase } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { parseSamples, sampleValue } from '../support/prometheus.js';
import { napsterUpstream, type Upstream } from '../support/upstreams.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Trackers end to end on the real engine: saved searches evaluated as a real sync brings sessions in,
 * webhooks signed and sent to a local receiver, retried when it fails, never twice for one turn; and
 * trends counted by the engine over the whole history.
 */
const PHRASE = 'new york';

let engine: TestEngine;
let upstream: Upstream;
let receiver: WebhookReceiver;
let trackers: TrackerService;
let ingest: IngestDeps;
let metrics: Metrics;
let app: ReturnType<typeof createApp>;

type Json = Record<string, any>;

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await app.request(url, body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: (await response.json()) as Json };
}

async function sync(options: { full?: boolean } = {}) {
  const source = upstream.factory.create();
  try {
    return await new SyncPass(ingest, source, { ...options, concurrency: 16 }).run();
  } finally {
    await source.close();
  }
}

/** Every turn of these sessions saying the phrase, as `sessionId#turnIndex`, from what the upstream serves. */
function phraseTurns(sessionIds: Iterable<string>, phrase = PHRASE): Set<string> {
  const transcripts = upstream.transcripts();
  const found = new Set<string>();
  for (const id of sessionIds) {
    transcripts[id]!.forEach((line, turnIndex) => {
      if (containsPhrase(line.slice(line.indexOf(': ') + 2), phrase)) found.add(`${id}#${turnIndex}`);
    });
  }
  return found;
}

/** New sessions at the upstream (copies of served transcripts under new ids), and a word one of their user turns says. */
function deriveSessions(count: number): { ids: string[]; word: string } {
  const before = new Set(upstream.ids());
  upstream.derive(Array.from({ length: count }, (_, i) => upstream.newestCreatedAt() + 3_600 * (i + 1)));
  const ids = upstream.ids().filter((id) => !before.has(id));
  const userTurns = ids.flatMap((id) => upstream.transcripts()[id]!.filter((line) => line.startsWith('user: ')));
  const words = userTurns.flatMap((line) => line.slice(6).toLowerCase().match(/[a-z]{6,}/g) ?? []);
  return { ids, word: words.sort((a, b) => b.length - a.length)[0]! };
}

function matchesIn(webhooks: ReceivedWebhook[], trackerId: string): string[] {
  return webhooks
    .map((webhook) => JSON.parse(webhook.body) as Json)
    .filter((body) => body.tracker.id === trackerId)
    .flatMap((body) => (body.matches as Json[]).map((match) => `${match.sessionId}#${match.turnIndex}`));
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  engine = await createTestEngine('trackers');
  upstream = await napsterUpstream({ limit: 1_200, withhold: 400 });
  receiver = await startWebhookReceiver();
  metrics = new Metrics();
  trackers = new TrackerService({ engine: engine.client, names: engine.names, log: silentLogger }, { retryBaseMs: 50, engineUrls: [engine.url], observer: metrics });
  ingest = ingestDeps({ engine: engine.client, names: engine.names, log: silentLogger, hooks: trackers.hooks() });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, trackers, ingest, metrics });
  // The history: indexed before any tracker exists.
  await sync();
});

afterAll(async () => {
  await trackers?.stop();
  await receiver?.close();
  await upstream?.close();
  await engine?.drop();
});

describe('trackers', () => {
  let tracker: Json;

  it('are made by admins with a search, a webhook and a secret shown once', async () => {
    const created = await call('POST', '/v1/trackers', { name: 'New York', search: `q=${encodeURIComponent(`"${PHRASE}"`)}`, webhookUrl: receiver.url });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'New York', hasWebhook: true, webhookUrl: receiver.url, threshold: null, secret: expect.stringMatching(/^whsec_/) });
    tracker = created.body;
    const listed = await call('GET', '/v1/trackers');
    expect(listed.body.trackers).toEqual([expect.objectContaining({ id: tracker.id, name: 'New York' })]);
    expect(listed.body.trackers[0]).not.toHaveProperty('secret');
    expect((await call('GET', `/v1/trackers/${tracker.id}`)).body).not.toHaveProperty('secret');
  });

  it('refuse a search that is not one, and webhooks that are not http(s) or point at the engine', async () => {
    const bad = async (body: Json) => (await call('POST', '/v1/trackers', { name: 'x', search: 'q=x', ...body })).body.error?.message as string;
    expect(await bad({ search: 'q=x&page=2' })).toMatch(/Invalid 'search': Unknown parameter 'page'/);
    expect(await bad({ search: 'role=robot' })).toMatch(/Invalid 'search': Invalid 'role'/);
    expect(await bad({ webhookUrl: 'file:///etc/passwd' })).toMatch(/http or https/);
    expect(await bad({ webhookUrl: engine.url })).toMatch(/points at the search engine/);
    const port = new URL(engine.url).port;
    for (const alias of [`http://localhost:${port}/`, `http://127.0.0.2:${port}/indexes`, `http://[::ffff:127.0.0.1]:${port}/`]) {
      expect(await bad({ webhookUrl: alias }), alias).toMatch(/points at the search engine/);
    }
    expect(await bad({ name: '  ' })).toMatch(/Invalid 'name'/);
    expect(await bad({ colour: 'red' })).toMatch(/Unknown field 'colour'/);
    expect(await bad({ threshold: { sessionsPerDay: 0 } })).toMatch(/Invalid 'threshold.sessionsPerDay'/);
    expect((await call('GET', '/v1/trackers')).body.trackers).toHaveLength(1);
  });

  it('send, after the next sync, exactly the new matching turns, each once, signed', async () => {
    const before = new Set(upstream.ids());
    expect(upstream.revealWithheld()).toBe(400);
    const revealed = upstream.ids().filter((id) => !before.has(id));
    const expected = phraseTurns(revealed);
    expect(expected.size).toBeGreaterThan(5);

    await sync();
    await until(() => matchesIn(receiver.received, tracker.id).length >= expected.size, 'the webhooks');
    const sent = matchesIn(receiver.received, tracker.id);
    expect(new Set(sent)).toEqual(expected);
    expect(sent).toHaveLength(expected.size);
    for (const webhook of receiver.received) {
      const expectedSignature = `sha256=${createHmac('sha256', tracker.secret).update(webhook.body).digest('hex')}`;
      expect(webhook.headers['x-signature-256']).toBe(expectedSignature);
      expect(webhook.headers['x-delivery-id']).toBe(JSON.parse(webhook.body).deliveryId);
      expect(JSON.parse(webhook.body).tracker).toEqual({ id: tracker.id, name: 'New York' });
    }
    const match = JSON.parse(receiver.received[0]!.body).matches[0];
    expect(match.highlight).toMatch(/<mark>new york<\/mark>/i);
    expect(sampleValue(parseSamples(await metrics.registry.metrics()), 'transcript_search_tracker_matches_total')).toBe(expected.size);
  });

  it('never count a turn twice: writing the same sessions again sends nothing', async () => {
    const count = receiver.received.length;
    const summary = await sync({ full: true });
    expect(summary.error).toBeNull();
    await trackers.settle();
    expect(receiver.received.length).toBe(count);
  });

  it('list every match, history included, newest first, as the same search would', async () => {
    const matches = await call('GET', `/v1/trackers/${tracker.id}/matches?hitsPerPage=100`);
    const search = await call('GET', `/v1/search/turns?q=${encodeURIComponent(`"${PHRASE}"`)}&sort=newest&hitsPerPage=100`);
    expect(matches.body.totalHits).toBe(search.body.totalHits);
    expect(matches.body.totalHits).toBe(phraseTurns(upstream.ids()).size);
    expect(matches.body.hits.map((hit: Json) => [hit.sessionId, hit.turnIndex])).toEqual(search.body.hits.map((hit: Json) => [hit.sessionId, hit.turnIndex]));
  });

  it('trend the whole history per UTC day and week, counted as the same search counts it', async () => {
    const all: Json[] = [];
    for (let page = 1; ; page++) {
      const { body } = await call('GET', `/v1/trackers/${tracker.id}/matches?hitsPerPage=100&page=${page}`);
      all.push(...body.hits);
      if (page >= body.totalPages) break;
    }
    const perDay = new Map<string, { turns: number; sessions: Set<string> }>();
    for (const hit of all) {
      const day = (hit.timestamp as string).slice(0, 10);
      const entry = perDay.get(day) ?? { turns: 0, sessions: new Set<string>() };
      entry.turns++;
      entry.sessions.add(hit.sessionId);
      perDay.set(day, entry);
    }
    const { body: daily } = await call('GET', `/v1/trackers/${tracker.id}/trend?interval=day`);
    const nonEmpty = daily.buckets.filter((bucket: Json) => bucket.turns > 0);
    expect(Object.fromEntries(nonEmpty.map((b: Json) => [b.start, [b.turns, b.sessions]]))).toEqual(
      Object.fromEntries([...perDay].map(([day, { turns, sessions }]) => [day, [turns, sessions.size]])),
    );
    // Consecutive days from the first match to the last, empty ones included.
    const days = daily.buckets.map((bucket: Json) => Date.parse(bucket.start) / 86_400_000);
    expect(days).toEqual(days.map((_: number, i: number) => days[0] + i));
    // A day's count is the turn search's count for that day.
    for (const bucket of nonEmpty.slice(0, 5)) {
      const search = await call('GET', `/v1/search/turns?q=${encodeURIComponent(`"${PHRASE}"`)}&from=${bucket.start}&to=${bucket.start}&hitsPerPage=1`);
      expect(search.body.totalHits, bucket.start).toBe(bucket.turns);
    }
    const { body: weekly } = await call('GET', `/v1/trackers/${tracker.id}/trend?interval=week`);
    expect(weekly.buckets.every((bucket: Json) => new Date(bucket.start).getUTCDay() === 1)).toBe(true);
    expect(weekly.buckets.reduce((sum: number, b: Json) => sum + b.turns, 0)).toBe(all.length);
    // A window: only its days, however far the history goes.
    const [first, last] = [nonEmpty[0].start, nonEmpty.at(-1).start];
    const { body: window } = await call('GET', `/v1/trackers/${tracker.id}/trend?from=${first}&to=${first}`);
    expect(window.buckets).toEqual([nonEmpty[0]]);
    expect((await call('GET', `/v1/trackers/${tracker.id}/trend?from=${last}&to=${first}`)).status).toBe(first === last ? 200 : 400);
    expect((await call('GET', `/v1/trackers/${tracker.id}/trend?interval=month`)).body.error.message).toBe("Invalid 'interval': expected day or week");
  });

  it('send one threshold webhook for a day with more matching sessions than allowed, and mark it', async () => {
    const day = Math.floor(upstream.newestCreatedAt() / 86_400) + 2;
    const before = new Set(upstream.ids());
    upstream.derive([day * 86_400 + 3_600, day * 86_400 + 7_200, day * 86_400 + 10_800]);
    const ids = upstream.ids().filter((id) => !before.has(id));
    const word = ids
      .map((id) => new Set(upstream.transcripts()[id]!.flatMap((line) => line.slice(line.indexOf(': ') + 2).toLowerCase().match(/[a-z]{4,}/g) ?? [])))
      .reduce((common, words) => new Set([...common].filter((w) => words.has(w))))
      .values()
      .next().value as string;
    const made = await call('POST', '/v1/trackers', { name: 'Busy day', search: `q=${encodeURIComponent(`"${word}"`)}`, webhookUrl: receiver.url, threshold: { sessionsPerDay: 2 } });
    await sync();
    await trackers.settle();
    const threshold = receiver.received.map((webhook) => JSON.parse(webhook.body) as Json).filter((body) => body.tracker.id === made.body.id && body.threshold);
    const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    expect(threshold).toEqual([{ deliveryId: expect.any(String), tracker: { id: made.body.id, name: 'Busy day' }, threshold: { day: date, sessions: 3, sessionsPerDay: 2 }, matches: [] }]);
    const { body } = await call('GET', `/v1/trackers/${made.body.id}/trend?from=${date}&to=${date}`);
    expect(body.buckets).toEqual([{ start: date, turns: expect.any(Number), sessions: 3, aboveThreshold: true }]);
  });

  it('retry a failing receiver with backoff until it takes the delivery, and log every attempt', async () => {
    const { ids, word } = deriveSessions(3);
    const made = await call('POST', '/v1/trackers', { name: 'Said by users', search: `q=${encodeURIComponent(`"${word}"`)}&role=user`, webhookUrl: receiver.url });
    receiver.failNext(3);
    trackers.start();
    await sync();
    const log = async (id: string, status = '') => (await call('GET', `/v1/trackers/${id}/deliveries?hitsPerPage=100${status}`)).body;
    const everyTracker = async () => ((await call('GET', '/v1/trackers')).body.trackers as Json[]).map((t) => t.id as string);
    const pending = async () => (await Promise.all((await everyTracker()).map(async (id) => (await log(id, '&status=pending')).totalHits))).reduce((a, b) => a + b, 0);
    await until(async () => (await log(made.body.id, '&status=delivered')).totalHits > 0 && (await pending()) === 0, 'every delivery, after three failures');
    const { deliveries } = await log(made.body.id);
    expect(deliveries.every((d: Json) => d.status === 'delivered' && d.lastStatus === 204 && d.lastError === null && d.type === 'matches')).toBe(true);
    expect(deliveries.flatMap((d: Json) => d.sessionIds).every((id: string) => ids.includes(id))).toBe(true);
    // The receiver's three failures fell on first attempts (of whichever trackers matched); each was retried until it went through.
    const all = (await Promise.all((await everyTracker()).map(async (id) => (await log(id)).deliveries as Json[]))).flat();
    expect(all.reduce((sum, d) => sum + d.attempts - 1, 0)).toBe(3);
    expect(all.every((d) => d.status === 'delivered')).toBe(true);
    const text = await metrics.registry.metrics();
    expect(sampleValue(parseSamples(text), 'transcript_search_webhook_deliveries_total', { outcome: 'retry' })).toBe(3);
    expect(sampleValue(parseSamples(text), 'transcript_search_webhook_deliveries_total', { outcome: 'delivered' })).toBeGreaterThan(0);
    await trackers.stop();
  });
});

describe('a crash between writing and evaluating', () => {
  /** Syncs with a writer that runs only these hooks, then dies. */
  async function crashingSync(hooks: Parameters<typeof ingestDeps>[0]['hooks']): Promise<void> {
    const crashing = ingestDeps({ engine: engine.client, names: engine.names, log: silentLogger, hooks });
    const source = upstream.factory.create();
    await new SyncPass(crashing, source, { concurrency: 16 }).run();
    await source.close();
  }

  async function trackerOf(word: string): Promise<string> {
    const made = await call('POST', '/v1/trackers', { name: `Says ${word}`, search: `q=${encodeURIComponent(`"${word}"`)}`, webhookUrl: receiver.url });
    return made.body.id as string;
  }

  it('loses no delivery after indexing: the next process evaluates the confirmed arrival and sends it', async () => {
    const { ids, word } = deriveSessions(2);
    const tracker = await trackerOf(word);
    const { arriving, queued } = trackers.hooks();
    await crashingSync({ arriving, queued });
    expect(matchesIn(receiver.received, tracker)).toEqual([]);

    const next = new TrackerService({ engine: engine.client, names: engine.names, log: silentLogger }, { retryBaseMs: 50, engineUrls: [engine.url] });
    await next.settle();
    const expected = phraseTurns(ids, word);
    expect(expected.size).toBeGreaterThan(0);
    expect(new Set(matchesIn(receiver.received, tracker))).toEqual(expected);
  });

  it('loses no delivery when the writer died between announcing a batch and confirming it', async () => {
    const { ids, word } = deriveSessions(2);
    const tracker = await trackerOf(word);
    await crashingSync({ arriving: trackers.hooks().arriving });
    const patient = new TrackerService({ engine: engine.client, names: engine.names, log: silentLogger }, { retryBaseMs: 50, engineUrls: [engine.url] });
    await patient.settle();
    // Not yet: the documents of an unconfirmed arrival may still be on their way.
    expect(matchesIn(receiver.received, tracker)).toEqual([]);
    const next = new TrackerService({ engine: engine.client, names: engine.names, log: silentLogger }, { retryBaseMs: 50, engineUrls: [engine.url], staleMs: 0 });
    await next.settle();
    const expected = phraseTurns(ids, word);
    expect(expected.size).toBeGreaterThan(0);
    expect(new Set(matchesIn(receiver.received, tracker))).toEqual(expected);
  });
});
