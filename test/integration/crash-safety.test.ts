import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { EngineClient } from '../../src/engine/client.js';
import { freeLoopbackPort, startEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/embedded.js';
import { indexNames } from '../../src/engine/indexes.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { indexedTranscripts, napsterTranscripts } from '../support/transcripts.js';

/**
 * `transcript-search sync` as a real process: killed with SIGKILL at several points, or with the
 * engine restarted under it, then run again — the index must end up exactly equal to the upstream.
 */
const SESSIONS = 2_000;
const KILLS = 3;

let records: NapsterRecord[];
let upstream: NapsterUpstream;

/** Deterministic kill points, so a failure can be replayed; the seed is in the test name. */
function pseudoRandom(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function startSync(env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> } {
  const child = spawn(process.execPath, [path.resolve('dist/main.js'), 'sync'], {
    env: {
      PATH: process.env.PATH ?? '',
      NAPSTER_API_KEY: upstream.apiKey,
      NAPSTER_BASE_URL: upstream.url,
      SOURCE_RPS: '1200',
      SOURCE_CONCURRENCY: '8',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout })),
  );
  return { child, done };
}

beforeAll(async () => {
  records = await loadCorpus<NapsterRecord>(NAPSTER_CORPUS, SESSIONS);
  upstream = await startNapsterUpstream({ records, apiKey: 'crash-test-key' });
});

afterAll(async () => {
  await upstream?.close();
});

describe('sync killed with SIGKILL', () => {
  let engine: TestEngine;
  const seed = 20_261_123;

  beforeAll(async () => {
    engine = await createTestEngine('crash');
  });

  afterAll(async () => {
    await engine?.drop();
  });

  it(`reaches the exact upstream state after ${KILLS} kills at random points (seed ${seed})`, async () => {
    const random = pseudoRandom(seed);
    // A killed sync's lease on the source lapses after LEASE_SECONDS; the next one waits for that.
    const env = { MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix, LEASE_SECONDS: '4' };
    let killedMidway = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const { child, done } = startSync(env);
      // Spread over start-up, listing, fetching and indexing of a run that takes a few seconds.
      await new Promise((resolve) => setTimeout(resolve, 300 + random() * 2_500));
      child.kill('SIGKILL');
      const result = await done;
      if (result.signal === 'SIGKILL') killedMidway++;
    }
    expect(killedMidway).toBeGreaterThan(0);
    const final = await startSync(env).done;
    expect(final.code, final.stdout).toBe(0);
    expect(await indexedTranscripts(engine)).toEqual(napsterTranscripts(records));
    // And a further run changes nothing: everything closed is known, nothing is written twice.
    const again = await startSync(env).done;
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ failed: 0, skipped: 0, deleted: 0 });
    expect(await engine.client.documentCount(engine.names.turns)).toBe(records.reduce((sum, r) => sum + (r.conversation as { items: unknown[] }).items.length, 0));
  });
});

describe('engine restarted in the middle of a sync', () => {
  let dataDir: string;
  let port: number;
  let current: EmbeddedEngine;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'transcript-search-restart-'));
    port = await freeLoopbackPort();
    current = await startEmbeddedEngine({ dataDir, port });
  });

  afterAll(async () => {
    await current?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('waits for the engine to come back and completes with the exact upstream state; the API recovers by itself', async () => {
    const prefix = 'restart_';
    const names = indexNames(prefix);
    // An API whose engine connection was made before the outage, as in a long-running `serve`.
    const client = new EngineClient({ url: current.url, apiKey: current.masterKey });
    const app = createApp({ engine: client, names, log: silentLogger });
    try {
      // A slower source keeps the pass running when the engine goes away 1.5 s in.
      const { done } = startSync({ MEILI_URL: current.url, MEILI_MASTER_KEY: current.masterKey, INDEX_PREFIX: prefix, SOURCE_RPS: '500' });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await current.stop();
      expect((await app.request('/ready')).status).toBe(503);
      expect((await app.request('/v1/search/turns?q=flight')).status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      current = await startEmbeddedEngine({ dataDir, port });
      const result = await done;
      expect(result.code, result.stdout).toBe(0);
      expect((await app.request('/ready')).status).toBe(200);
      expect((await app.request('/v1/search/turns?q=flight')).status).toBe(200);
      expect(await indexedTranscripts({ client, names })).toEqual(napsterTranscripts(records));
    } finally {
      await client.close();
    }
  });
});
