import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { Leases } from '../../src/engine/lease.js';
import { silentLogger } from '../../src/logger.js';
import { overlapping, startCli, until, type CliProcess } from '../support/cli-process.js';
import { loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { indexedTranscripts, napsterTranscripts } from '../support/transcripts.js';

/**
 * Three `transcript-search sync` processes started together on one engine and source: the source's
 * lease lets one sync at a time, the others wait for it; with the holder killed (SIGKILL) midway,
 * another takes over once its lease has lapsed. Either way every session is written once: the
 * engine's own task records count the session documents it received.
 *
 * Closed sessions only: a session still in progress is, by design, fetched and written again by
 * every pass until it closes.
 */
const SESSIONS = 3_000;
/** Three passes one after the other, on an engine other tests share. */
const TIMEOUT_MS = 300_000;
const LEASE_SECONDS = 4;

let records: NapsterRecord[];
let upstream: NapsterUpstream;
const running: CliProcess[] = [];

function startSync(engine: TestEngine, wait = '300'): CliProcess {
  const run = startCli(['sync', '--wait', wait], {
    MEILI_URL: engine.url,
    MEILI_MASTER_KEY: engine.key,
    INDEX_PREFIX: engine.prefix,
    NAPSTER_API_KEY: upstream.apiKey,
    NAPSTER_BASE_URL: upstream.url,
    SOURCE_RPS: '2000',
    SOURCE_CONCURRENCY: '8',
    LEASE_SECONDS: String(LEASE_SECONDS),
  });
  running.push(run);
  return run;
}

type TaskRecord = { indexUid: string; type: string; status: string; enqueuedAt: string; finishedAt: string | null; details?: { receivedDocuments?: number } };

/** Every task the engine has on these indexes. */
async function tasksOf(engine: TestEngine, indexUids: string[]): Promise<TaskRecord[]> {
  const tasks: TaskRecord[] = [];
  let from: number | undefined;
  do {
    const page = await engine.client.request<{ results: TaskRecord[]; next: number | null }>('GET', '/tasks', { query: { indexUids: indexUids.join(','), limit: 1_000, from } });
    tasks.push(...page.results);
    from = page.next ?? undefined;
  } while (from !== undefined);
  return tasks;
}

/** Session documents the engine received in all its document tasks on the sessions index: one per session written. */
async function sessionWrites(engine: TestEngine): Promise<number> {
  const tasks = await tasksOf(engine, [engine.names.sessions]);
  return tasks.filter((task) => task.type === 'documentAdditionOrUpdate' && task.status === 'succeeded').reduce((sum, task) => sum + (task.details?.receivedDocuments ?? 0), 0);
}

const summary = (stdout: string) => JSON.parse(stdout) as { sessions: number; failed: number; skipped: number };

beforeAll(async () => {
  records = (await loadCorpus<NapsterRecord>(NAPSTER_CORPUS, SESSIONS + 50)).filter((record) => record.closedAt !== null).slice(0, SESSIONS);
  upstream = await startNapsterUpstream({ records, apiKey: 'lease-napster-key' });
});

afterAll(async () => {
  for (const run of running) run.child.kill('SIGKILL');
  await upstream?.close();
});

describe('three sync processes on one source', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await createTestEngine('sync_lease');
  });

  afterAll(async () => {
    await engine?.drop();
  });

  it('sync one at a time, the others waiting, and write every session once', async () => {
    const runs = [startSync(engine), startSync(engine), startSync(engine)];
    const results = await Promise.all(runs.map((run) => run.exited));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(overlapping(runs, 'napster')).toEqual([]);
    // The first holder wrote everything; the others, once it was done, found it all indexed.
    expect(results.map((result) => summary(result.stdout).sessions).sort((a, b) => b - a)).toEqual([SESSIONS, 0, 0]);
    expect(runs.filter((run) => run.lines.some((line) => line.msg === 'waiting for the sync lease of the source'))).toHaveLength(2);
    expect(await sessionWrites(engine)).toBe(SESSIONS);
    expect(await indexedTranscripts(engine)).toEqual(napsterTranscripts(records));
  }, TIMEOUT_MS);
});

describe('the lease holder killed midway', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await createTestEngine('sync_lease_kill');
  });

  afterAll(async () => {
    await engine?.drop();
  });

  it('is taken over by another process once its lease lapsed and its queued writes are indexed, which it does not write again', async () => {
    const runs = [startSync(engine), startSync(engine), startSync(engine)];
    const lease = new Leases(engine.client, engine.names.state, { process: 'test', ttlMs: LEASE_SECONDS * 1000, log: silentLogger }).lease('napster');
    // Killed as soon as it has queued its first batch of sessions: the rest is not fetched yet.
    await until(async () => (await tasksOf(engine, [engine.names.sessions])).some((task) => task.type === 'documentAdditionOrUpdate'), 'the first batch to be queued');
    const holding = (await lease.current())!;
    const holder = runs.find((run) => run.child.pid === holding.holder.pid)!;
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await holder.exited).signal).toBe('SIGKILL');
    // The holder's last renewal, as the engine holds it now that no more can come.
    const lapsedAt = Date.parse((await lease.current())?.expiresAt ?? holding.expiresAt);

    const survivors = runs.filter((run) => run !== holder);
    const results = await Promise.all(survivors.map((run) => run.exited));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(overlapping(runs, 'napster', new Map([[holder, killedAt]]))).toEqual([]);
    const takeover = Math.min(...survivors.map((run) => Date.parse(run.lines.find((line) => line.msg === 'sync started')!.time)));
    expect(takeover).toBeGreaterThanOrEqual(lapsedAt);
    const queuedByHolder = (await tasksOf(engine, [engine.names.turns, engine.names.sessions])).filter((task) => Date.parse(task.enqueuedAt) < killedAt);
    expect(queuedByHolder.length).toBeGreaterThan(0);
    for (const task of queuedByHolder) expect(Date.parse(task.finishedAt!)).toBeLessThanOrEqual(takeover);
    const writtenBySurvivors = results.reduce((sum, result) => sum + summary(result.stdout).sessions, 0);
    expect(writtenBySurvivors).toBeLessThan(SESSIONS);
    expect(await sessionWrites(engine)).toBe(SESSIONS);
    expect(await indexedTranscripts(engine)).toEqual(napsterTranscripts(records));
  }, TIMEOUT_MS);
});

describe('a sync that finds the source held and does not wait', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await createTestEngine('sync_lease_held');
  });

  afterAll(async () => {
    await engine?.drop();
  });

  it('exits 75, naming the holder on stderr and in its summary, and writes nothing', async () => {
    const leases = new Leases(engine.client, engine.names.state, { process: 'serve', ttlMs: 60_000, log: silentLogger });
    const lease = leases.lease('napster');
    expect((await lease.tryAcquire()).acquired).toBe(true);
    try {
      const result = await startSync(engine, '0').exited;
      expect(result.code, result.stderr).toBe(75);
      const held = `held by serve pid ${process.pid} on ${leases.holder.host} (instance ${leases.holder.instanceId}, until `;
      expect(result.stderr).toContain(`napster: Not synced here: the source's sync is ${held}`);
      const { sources } = JSON.parse(result.stdout) as { sources: Array<{ source: string; sessions: number; error: string; heldBy: { holder: unknown } }> };
      expect(sources).toEqual([expect.objectContaining({ source: 'napster', sessions: 0, error: expect.stringContaining(held), heldBy: expect.objectContaining({ holder: leases.holder }) })]);
      expect(await sessionWrites(engine)).toBe(0);
    } finally {
      await lease.release();
    }
  }, TIMEOUT_MS);
});
