import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { syncOnce } from '../support/sync.js';
import { expectIndexHolds, indexedTranscripts } from '../support/transcripts.js';
import { agentsUpstream, napsterUpstream, type Upstream } from '../support/upstreams.js';

describe.each([
  { source: 'agents', start: () => agentsUpstream({ limit: 800 }) },
  { source: 'napster', start: () => napsterUpstream({ limit: 600 }) },
])('sessions deleted from the $source source', ({ source, start }) => {
  let upstream: Upstream;
  let engine: TestEngine;

  beforeAll(async () => {
    upstream = await start();
    engine = await createTestEngine(`full_${source}`);
    expect((await syncOnce(engine, upstream.factory)).error).toBeNull();
  });

  afterEach(() => upstream.onListPage(undefined));

  afterAll(async () => {
    await upstream?.close();
    await engine?.drop();
  });

  it('an open session deleted upstream is removed when its revisit finds it gone', async () => {
    const [open] = upstream.openIds();
    upstream.remove([open!]);
    const summary = await syncOnce(engine, upstream.factory);
    expect(summary).toMatchObject({ error: null, deleted: 1, failed: 0 });
    expect(summary.totals?.mismatches).toEqual([]);
    await expectIndexHolds(engine, upstream.transcripts());
  });

  it('closed sessions deleted upstream stay through incremental syncs and are removed by --full', async () => {
    const ids = upstream.ids();
    const removed = [ids[ids.length - 1]!, ids[Math.floor(ids.length / 2)]!, ids[1]!];
    upstream.remove(removed);

    const incremental = await syncOnce(engine, upstream.factory);
    expect(incremental).toMatchObject({ error: null, deleted: 0 });
    // The index holds more than the source: the totals check says so.
    expect(incremental.totals?.mismatches).toContainEqual({ field: 'sessions', upstream: ids.length - 3, indexed: ids.length });

    const full = await syncOnce(engine, upstream.factory, { full: true });
    expect(full).toMatchObject({ error: null, deleted: 3, failed: 0, sessions: ids.length - 3 });
    expect(full.totals?.mismatches).toEqual([]);
    await expectIndexHolds(engine, upstream.transcripts());
  });

  it('a deletion that shifts the pages under a --full walk deletes nothing the source still has', async () => {
    const removed = upstream.ids().slice(0, 5);
    let shifted = false;
    upstream.onListPage((page) => {
      if (page === 3 && !shifted) {
        shifted = true;
        // Five entries of page 1, already read, disappear: every later entry moves up five places
        // and the walk skips the five that cross from page 3 to page 2.
        upstream.remove(removed);
      }
    });
    const summary = await syncOnce(engine, upstream.factory, { full: true });
    expect(shifted).toBe(true);
    expect(summary).toMatchObject({ error: null, failed: 0 });

    const indexed = await indexedTranscripts(engine);
    const expected = upstream.transcripts();
    for (const [id, turns] of Object.entries(expected)) expect(indexed[id], id).toEqual(turns);
    expect(Object.keys(indexed).filter((id) => !(id in expected)).every((id) => removed.includes(id))).toBe(true);

    expect((await syncOnce(engine, upstream.factory, { full: true })).error).toBeNull();
    await expectIndexHolds(engine, upstream.transcripts());
  });
});
