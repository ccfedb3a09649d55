import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { syncOnce } from '../support/sync.js';
import { expectIndexHolds } from '../support/transcripts.js';
import { agentsUpstream, napsterUpstream, type Upstream } from '../support/upstreams.js';

/**
 * Vendors page newest first by page number, so sessions created while a sync reads the listing push
 * every later page down: entries repeat on the next page, and the new sessions sit ahead of where the
 * walk is. The fakes let a test add sessions between two page requests of one run.
 */
describe.each([
  { source: 'agents', start: () => agentsUpstream({ limit: 800 }) },
  { source: 'napster', start: () => napsterUpstream({ limit: 600 }) },
])('sessions created while the $source listing is read', ({ source, start }) => {
  let upstream: Upstream;
  let engine: TestEngine;

  beforeAll(async () => {
    upstream = await start();
    engine = await createTestEngine(`shift_${source}`);
  });

  afterEach(() => upstream.onListPage(undefined));

  afterAll(async () => {
    await upstream?.close();
    await engine?.drop();
  });

  /** Sessions created `count` minutes after the newest one served. */
  const arrive = (count: number) => {
    const newest = upstream.newestCreatedAt();
    upstream.derive(Array.from({ length: count }, (_, i) => newest + 60 * (i + 1)));
  };

  it('are indexed by the same first sync, and no session is written twice', async () => {
    let injected = false;
    upstream.onListPage((page) => {
      if (page === 3 && !injected) {
        injected = true;
        arrive(25);
      }
    });
    const summary = await syncOnce(engine, upstream.factory);
    expect(injected).toBe(true);
    const served = upstream.ids().length;
    expect(summary).toMatchObject({ error: null, listed: served, sessions: served, skipped: 0, failed: 0 });
    expect(summary.totals?.mismatches).toEqual([]);
    await expectIndexHolds(engine, upstream.transcripts());
  });

  it('are indexed by the same incremental sync when the new sessions span several pages', async () => {
    const open = upstream.openIds().length;
    arrive(upstream.pageSize + upstream.pageSize / 2);
    let injected = false;
    upstream.onListPage((page) => {
      if (page === 2 && !injected) {
        injected = true;
        arrive(20);
      }
    });
    const summary = await syncOnce(engine, upstream.factory);
    expect(injected).toBe(true);
    const arrived = upstream.pageSize + upstream.pageSize / 2 + 20;
    expect(summary).toMatchObject({ error: null, sessions: arrived + open, skipped: 0, failed: 0 });
    expect(summary.totals?.mismatches).toEqual([]);
    await expectIndexHolds(engine, upstream.transcripts());
  });
});
