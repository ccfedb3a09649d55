import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { EngineClient } from '../../src/engine/client.js';
import { Leases, type LeaseResult } from '../../src/engine/lease.js';
import { SyncController, type HeldElsewhere } from '../../src/ingest/sync-controller.js';
import { silentLogger } from '../../src/logger.js';
import { loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { napsterFactory } from '../support/sync.js';

/**
 * Leases in the engine's state index, each `Leases` standing for one process: however claims race,
 * one claimant holds a lease at a time; a holder that stops renewing loses it (its signal aborts)
 * before another can take it; and a sync pass runs only under its source's lease.
 */

let engine: TestEngine;

/** A process of its own: its own identity and connections, so one can be cut off alone. */
function processLeases(process: string, ttlMs: number) {
  const client = new EngineClient({ url: engine.url, apiKey: engine.key });
  return { leases: new Leases(client, engine.names.state, { process, ttlMs, log: silentLogger }), client };
}

function aborted(signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(Date.now()), { once: true }));
}

const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  engine = await createTestEngine('lease');
});

afterAll(async () => {
  for (const close of closers) await close();
  await engine?.drop();
});

describe('a lease in the engine', () => {
  it('goes to exactly one of many claimants racing for it, and the others name that one', async () => {
    const claimants = Array.from({ length: 6 }, (_, i) => processLeases(`claimant-${i}`, 60_000));
    closers.push(...claimants.map(({ client }) => () => client.close()));
    for (let round = 0; round < 8; round++) {
      const leases = claimants.map(({ leases }) => leases.lease(`race-${round}`));
      const results: LeaseResult[] = await Promise.all(leases.map((lease) => lease.tryAcquire()));
      const winners = results.flatMap((result, i) => (result.acquired ? [i] : []));
      expect(winners, `round ${round}`).toHaveLength(1);
      const winner = claimants[winners[0]!]!.leases.holder;
      for (const result of results) if (!result.acquired) expect(result.heldBy?.holder).toEqual(winner);
      expect(await leases[0]!.current()).toMatchObject({ holder: winner, thisProcess: winners[0] === 0 });
      // Released, it goes to the next who asks.
      await leases[winners[0]!]!.release();
      const next = (winners[0]! + 1) % leases.length;
      expect((await leases[next]!.tryAcquire()).acquired).toBe(true);
      await leases[next]!.release();
      expect(await leases[0]!.current()).toBeNull();
    }
  });

  it('of a holder that stops renewing is lost by it before another process takes it over', async () => {
    const crashing = processLeases('crashing', 3_000);
    const other = processLeases('other', 3_000);
    closers.push(() => other.client.close());
    const held = await crashing.leases.lease('crash').tryAcquire();
    expect(held.acquired).toBe(true);
    const lost = aborted((held as Extract<LeaseResult, { acquired: true }>).signal);

    // The holder's connection to the engine is gone: its renewals fail from now on.
    await crashing.client.close();
    const refused = await other.leases.lease('crash').tryAcquire();
    expect(refused).toMatchObject({ acquired: false, heldBy: { holder: crashing.leases.holder, thisProcess: false } });
    const taken = await other.leases.lease('crash').acquire(30_000);
    const takenAt = Date.now();
    expect(taken.acquired).toBe(true);
    const lostAt = await lost;
    expect(lostAt).toBeLessThan(takenAt);
    expect(takenAt).toBeGreaterThanOrEqual(Date.parse((refused as Extract<LeaseResult, { acquired: false }>).heldBy!.expiresAt));
    expect((held as Extract<LeaseResult, { acquired: true }>).signal.reason).toMatchObject({ code: 'interrupted', message: expect.stringMatching(/lost its lease on crash/) });
    await other.leases.lease('crash').release();
  });
});

describe('sync passes under the source lease', () => {
  let upstream: NapsterUpstream;
  let records: NapsterRecord[];

  beforeAll(async () => {
    records = (await loadCorpus<NapsterRecord>(NAPSTER_CORPUS, 200)).filter((record) => record.closedAt !== null);
    upstream = await startNapsterUpstream({ records, apiKey: 'lease-test-key' });
    closers.push(() => upstream.close());
  });

  function controller(process: string, ttlMs: number) {
    const own = processLeases(process, ttlMs);
    closers.push(() => own.client.close());
    return { ...own, sync: new SyncController({ ...engine.ingest, log: silentLogger, sources: [napsterFactory(upstream)], concurrency: 4, leases: own.leases }) };
  }

  /** Holds the upstream's list pages until `release`; `listing` resolves when the first is asked for. */
  function holdListing(): { listing: Promise<void>; release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let listed!: () => void;
    const listing = new Promise<void>((resolve) => (listed = resolve));
    upstream.beforeListPage = async () => {
      listed();
      await gate;
    };
    return { listing, release };
  }

  it('run in one process while another holds the source, which is skipped there and named', async () => {
    const first = controller('serve', 60_000);
    const second = controller('sync', 60_000);
    const { listing, release } = holdListing();
    const running = first.sync.run();
    await Promise.race([listing, running.then((summaries) => Promise.reject(new Error(`the pass ended before listing: ${JSON.stringify(summaries)}`)))]);
    const [skipped] = (await second.sync.run()) as HeldElsewhere[];
    expect(skipped).toMatchObject({ source: 'napster', sessions: 0, heldBy: { holder: first.leases.holder } });
    expect(skipped!.error).toMatch(/^Not synced here: the source's sync is held by serve pid \d+ on .+ \(instance [0-9a-f]{16}, until .+ unless renewed\)$/);
    expect(await second.sync.heldElsewhere('napster')).toMatchObject({ holder: first.leases.holder, thisProcess: false });
    expect((await second.sync.status()).sources[0]).toMatchObject({ running: false, lease: { holder: first.leases.holder, thisProcess: false } });
    expect((await first.sync.status()).sources[0]).toMatchObject({ running: true, lease: { thisProcess: true } });
    release();
    upstream.beforeListPage = undefined;
    const [summary] = await running;
    expect(summary).toMatchObject({ error: null, sessions: records.length });
    // Released at the end of the pass: the other process's next pass runs.
    expect((await first.sync.status()).sources[0]!.lease).toBeNull();
    expect(await second.sync.run()).toEqual([expect.objectContaining({ error: null, sessions: 0 })]);
  });

  it('is interrupted when its lease is lost, and checkpoints what it did', async () => {
    const losing = controller('serve', 10_000);
    const { listing, release } = holdListing();
    const running = losing.sync.run({ full: true });
    await Promise.race([listing, running.then((summaries) => Promise.reject(new Error(`the pass ended before listing: ${JSON.stringify(summaries)}`)))]);
    // Cut off from the engine, the holder cannot renew. The listing is held until the lease is gone,
    // then let go: the pass stops at the next entry.
    await losing.client.close();
    while (losing.leases.lease('napster').held) await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    upstream.beforeListPage = undefined;
    const [summary] = await running;
    expect(summary!.error).toMatch(/^Interrupted: this process lost its lease on napster/);
    expect((await engine.ingest.checkpoints.get('napster'))!.lastError).toBe(summary!.error);
  });
});
