import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leases } from '../../src/engine/lease.js';
import { silentLogger } from '../../src/logger.js';
import { TRACKERS_LEASE } from '../../src/runtime.js';
import { overlapping, startCli, until, type CliProcess } from '../support/cli-process.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { napsterUpstream, revealWithheldSaying, type Upstream } from '../support/upstreams.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Two `serve` processes on one engine and one set of indexes, as replicas behind a load balancer,
 * and a `sync` from the CLI started beside them: both replicas answer searches alike, the source is
 * synced by one process at a time (its lease), and the trackers' loops, running in both replicas,
 * send each webhook delivery once (the trackers lease).
 */
const PHRASE = 'thank you';

let engine: TestEngine;
let upstream: Upstream;
let receiver: WebhookReceiver;
const processes: CliProcess[] = [];

function start(args: string[]): CliProcess {
  const run = startCli(args, {
    MEILI_URL: engine.url,
    MEILI_MASTER_KEY: engine.key,
    INDEX_PREFIX: engine.prefix,
    ...upstream.env,
    PORT: '0',
    SOURCE_RPS: '2000',
    SOURCE_CONCURRENCY: '8',
    SYNC_INTERVAL_SECONDS: '1',
    LEASE_SECONDS: '4',
    WEBHOOK_RETRY_SECONDS: '1',
  });
  processes.push(run);
  return run;
}

async function api<T>(url: string, path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${url}${path}`, init);
  expect(response.status, `${init?.method ?? 'GET'} ${path}`).toBeLessThan(300);
  return (await response.json()) as T;
}

type SyncStatus = { sources: Array<{ source: string; lease: { holder: { instanceId: string; pid: number }; thisProcess: boolean } | null }> };

beforeAll(async () => {
  engine = await createTestEngine('replicas');
  upstream = await napsterUpstream({ limit: 500, withhold: 150 });
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  for (const run of processes) run.child.kill('SIGKILL');
  await receiver?.close();
  await upstream?.close();
  await engine?.drop();
});

describe('two serve replicas and a sync on one engine', () => {
  it('answer alike, sync one at a time, and send each webhook once', async () => {
    const replicas = [start(['serve']), start(['serve'])];
    const cli = start(['sync', '--wait', '300']);
    const urls = await Promise.all(replicas.map((replica) => replica.listening));
    const synced = await cli.exited;
    expect(synced.code, synced.stderr).toBe(0);
    const served = upstream.ids().length;
    await until(async () => (await engine.client.documentCount(engine.names.sessions)) === served, 'the served sessions to be indexed');

    // Both replicas see one holder of the source's lease, the same, while a pass runs in one of them.
    await until(async () => {
      const [a, b] = await Promise.all(urls.map((url) => api<SyncStatus>(url, '/v1/sync')));
      const [leaseA, leaseB] = [a!.sources[0]!.lease, b!.sources[0]!.lease];
      return leaseA !== null && leaseB !== null && leaseA.holder.instanceId === leaseB.holder.instanceId && leaseA.thisProcess !== leaseB.thisProcess;
    }, 'both replicas to show the same lease holder');

    const tracker = await api<{ id: string }>(urls[0]!, '/v1/trackers', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Thanks', search: `q=${encodeURIComponent(`"${PHRASE}"`)}`, webhookUrl: receiver.url }),
    });
    const expected = revealWithheldSaying(upstream, PHRASE);
    expect(expected.size).toBeGreaterThan(0);
    const sent = () =>
      receiver.received.flatMap((webhook) => (JSON.parse(webhook.body).matches as Array<{ sessionId: string; turnIndex: number }>).map((match) => `${match.sessionId}#${match.turnIndex}`));
    await until(() => new Set(sent()).size === expected.size, 'every new match to be sent');
    // Rounds of both replicas' tracker loops (every second) pass: nothing is sent again.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(new Set(sent())).toEqual(expected);
    expect(sent()).toHaveLength(expected.size);
    const deliveryIds = receiver.received.map((webhook) => webhook.headers['x-delivery-id']);
    expect(new Set(deliveryIds).size).toBe(deliveryIds.length);
    const log = await api<{ deliveries: Array<{ id: string; status: string; attempts: number }> }>(urls[1]!, `/v1/trackers/${tracker.id}/deliveries?hitsPerPage=100`);
    expect(log.deliveries.map((delivery) => delivery.id).sort()).toEqual([...deliveryIds].sort());
    for (const delivery of log.deliveries) expect(delivery).toMatchObject({ status: 'delivered', attempts: 1 });
    // The trackers ran in one replica only.
    const trackersHolder = await new Leases(engine.client, engine.names.state, { process: 'test', ttlMs: 4_000, log: silentLogger }).lease(TRACKERS_LEASE).current();
    expect(replicas.map((replica) => replica.child.pid)).toContain(trackersHolder?.holder.pid);

    // Both answer searches, alike.
    const searches = await Promise.all(urls.map((url) => api<{ totalHits: number }>(url, `/v1/search/turns?q=${encodeURIComponent(`"${PHRASE}"`)}`)));
    expect(searches[0]!.totalHits).toBeGreaterThan(0);
    expect(searches[1]!.totalHits).toBe(searches[0]!.totalHits);
    const sessions = await Promise.all(urls.map((url) => api<{ totalHits: number }>(url, '/v1/search/sessions')));
    expect(sessions.map((page) => page.totalHits)).toEqual([upstream.ids().length, upstream.ids().length]);

    // One process synced at a time, and the others did wait or skip.
    expect(overlapping([...replicas, cli], 'napster')).toEqual([]);
    const deferred = [...replicas, cli].flatMap((run) => run.lines.filter((line) => /^(sync skipped|waiting for the sync lease)/.test(line.msg)));
    expect(deferred.length).toBeGreaterThan(0);

    for (const replica of replicas) replica.child.kill('SIGTERM');
    for (const replica of replicas) expect((await replica.exited).code).toBe(0);
  }, 300_000);
});
