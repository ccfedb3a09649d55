import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { SyncPass, type SyncSummary } from '../../src/ingest/sync-pass.js';
import { createNapsterSource } from '../../src/sources/napster/client.js';
import { loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { RETRYABLE_FAULTS, startFaultProxy, type FaultKind, type FaultProxy } from '../support/fault-proxy.js';
import { indexedTranscripts, napsterTranscripts } from '../support/transcripts.js';

/**
 * 5,000 corpus sessions pulled through a proxy that breaks 10% of the requests in every way vendor
 * APIs and networks break: the index must end up exactly equal to the upstream.
 */
const SESSIONS = 2_000;
const FAULT_RATE = 0.1;
const SEED = 7_919;
const TIMEOUT_MS = 400;
const KINDS: FaultKind[] = ['429', 'burst', 'reset', 'truncated', 'slow', 'extra-fields', 'missing-optional', 'wrong-type'];

let records: NapsterRecord[];
let upstream: NapsterUpstream;
let proxy: FaultProxy;
let engine: TestEngine;

async function sync(): Promise<SyncSummary> {
  const source = createNapsterSource({
    apiKey: upstream.apiKey,
    baseUrl: proxy.url,
    rps: 5_000,
    concurrency: 16,
    // Short timeouts and backoff keep the test quick; the retry logic is the production one.
    http: { timeoutMs: TIMEOUT_MS, backoffMs: 20 },
  });
  try {
    return await new SyncPass(engine.ingest, source, { concurrency: 16 }).run();
  } finally {
    await source.close();
  }
}

beforeAll(async () => {
  records = await loadCorpus<NapsterRecord>(NAPSTER_CORPUS, SESSIONS);
  upstream = await startNapsterUpstream({ records, apiKey: 'fault-key' });
  proxy = await startFaultProxy({ target: upstream.url, rate: FAULT_RATE, seed: SEED, kinds: KINDS, slowMs: TIMEOUT_MS * 3 });
  engine = await createTestEngine('faults');
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await engine?.drop();
});

describe(`sync through ${FAULT_RATE * 100}% injected faults (seed ${SEED})`, () => {
  let first: SyncSummary;

  it('retries every transport fault and skips only the records that broke their schema', async () => {
    first = await sync();
    const retryable = RETRYABLE_FAULTS.reduce((sum, kind) => sum + proxy.injected[kind], 0);
    console.info('faults injected', JSON.stringify(proxy.injected), 'retries', first.retries, 'requests', first.requests);
    for (const kind of KINDS) expect(proxy.injected[kind], kind).toBeGreaterThan(0);
    expect(first.error).toBeNull();
    expect(first.failed).toBe(0);
    // undici itself re-sends a GET once when a reused keep-alive socket turns out to be closed, so
    // a reset may never reach the retry logic: up to that many retries are not counted here.
    expect(first.retries).toBeLessThanOrEqual(retryable);
    expect(first.retries).toBeGreaterThanOrEqual(retryable - proxy.injected.reset);
    expect(first.skipped).toBe(proxy.corrupted.size);
    expect(first.skippedSessions.map((s) => s.sessionId).sort()).toEqual([...proxy.corrupted].sort());
    expect(first.sessions).toBe(SESSIONS - proxy.corrupted.size);
  });

  it('fetches the skipped sessions again on the next run, and then equals the upstream exactly', async () => {
    proxy.setRate(0);
    const second = await sync();
    expect(second).toMatchObject({ error: null, failed: 0, skipped: 0 });
    expect(await indexedTranscripts(engine)).toEqual(napsterTranscripts(records));
  });
});
