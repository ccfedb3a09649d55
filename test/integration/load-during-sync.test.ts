import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { createApp } from '../../src/http/app.js';
import { SyncPass } from '../../src/ingest/sync-pass.js';
import { silentLogger } from '../../src/logger.js';
import { createNapsterSource } from '../../src/sources/napster/client.js';
import { loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * 32 clients searching over real HTTP while a full sync writes into the same indexes: every search
 * must answer 200. Latencies are printed for the record, never asserted (shared CI machines).
 */
const SESSIONS = 1_000;
const CLIENTS = 32;
const QUERIES = [
  '/v1/search/turns?q=%22thank+you%22&facets=companionId',
  '/v1/search/turns?q=restaurant&context=1',
  '/v1/search/sessions?q=%22new+york%22&role=user&facets=tags',
  '/v1/search/turns?q=flight&tag=channel:ios&sort=newest',
  '/v1/search/turns?q=hotel&facets=tags,role&hitsPerPage=50',
  '/v1/search/sessions?companionId=comp_restaurants_1&facets=tags',
];

let records: NapsterRecord[];
let upstream: NapsterUpstream;
let engine: TestEngine;
let server: ServerType;
let pool: Pool;

beforeAll(async () => {
  records = await loadCorpus<NapsterRecord>(NAPSTER_CORPUS, SESSIONS);
  upstream = await startNapsterUpstream({ records, apiKey: 'load-key' });
  engine = await createTestEngine('load');
  const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  server = await new Promise<ServerType>((resolve) => {
    const instance = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(instance));
  });
  pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: CLIENTS });
});

afterAll(async () => {
  await pool?.close();
  await new Promise((resolve) => server?.close(resolve));
  await upstream?.close();
  await engine?.drop();
});

describe(`${CLIENTS} concurrent searchers during a full sync`, () => {
  it('answers every search with 200 while the sync indexes everything', async () => {
    const source = createNapsterSource({ apiKey: upstream.apiKey, baseUrl: upstream.url, rps: 5_000, concurrency: 16 });
    let syncing = true;
    const sync = new SyncPass(engine.ingest, source, { full: true, concurrency: 16 }).run().finally(() => {
      syncing = false;
    });
    const latencies: number[] = [];
    const failures: string[] = [];
    const client = async (id: number) => {
      for (let i = id; syncing || i < id + 5; i++) {
        const path = QUERIES[i % QUERIES.length]!;
        const started = performance.now();
        const response = await pool.request({ method: 'GET', path });
        const body = await response.body.text();
        latencies.push(performance.now() - started);
        if (response.statusCode !== 200) failures.push(`${path} → ${response.statusCode} ${body.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(id)));
    const summary = await sync;
    await source.close();
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
    console.info(`searches during sync: ${latencies.length}, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, sync ${summary.durationMs} ms`);
    expect(failures).toEqual([]);
    expect(summary).toMatchObject({ error: null, sessions: SESSIONS, failed: 0 });
    expect(latencies.length).toBeGreaterThan(CLIENTS * 5);
  });
});
