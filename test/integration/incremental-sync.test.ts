import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncStateStore } from '../../src/ingest/sync-state.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { syncOnce } from '../support/sync.js';
import { expectIndexHolds, indexedTranscripts } from '../support/transcripts.js';
import { agentsUpstream, napsterUpstream, type Upstream } from '../support/upstreams.js';

const FINAL_TURN = 'That completes your request, goodbye.';
const HOUR = 3_600;

describe.each([
  { source: 'agents', start: () => agentsUpstream({ limit: 1_500, withhold: 40 }) },
  { source: 'napster', start: () => napsterUpstream({ limit: 1_000, withhold: 30 }) },
])('incremental sync of the $source source', ({ source, start }) => {
  let upstream: Upstream;
  let engine: TestEngine;
  let newestIndexed: number;

  beforeAll(async () => {
    upstream = await start();
    engine = await createTestEngine(`incr_${source}`);
  });

  afterAll(async () => {
    await upstream?.close();
    await engine?.drop();
  });

  it('first sync indexes everything the source serves', async () => {
    const summary = await syncOnce(engine, upstream.factory);
    expect(summary).toMatchObject({ error: null, sessions: upstream.ids().length, skipped: 0, failed: 0 });
    expect(summary.totals?.mismatches).toEqual([]);
    await expectIndexHolds(engine, upstream.transcripts());
    newestIndexed = upstream.newestCreatedAt();
  });

  it('next sync adds revealed and late sessions and the final turns of sessions that closed, nothing twice', async () => {
    const open = upstream.openIds();
    expect(open.length).toBeGreaterThan(0);
    for (const id of open) upstream.closeWithFinalTurn(id, FINAL_TURN);
    const revealed = upstream.revealWithheld();
    // Listed late by the vendor: created before the newest session already indexed, within the overlap.
    upstream.derive([newestIndexed - HOUR]);

    const summary = await syncOnce(engine, upstream.factory);
    expect(summary).toMatchObject({ error: null, sessions: revealed + 1 + open.length, skipped: 0, failed: 0, deleted: 0 });
    expect(summary.totals?.mismatches).toEqual([]);
    await expectIndexHolds(engine, upstream.transcripts());

    const indexed = await indexedTranscripts(engine);
    for (const id of open) expect(indexed[id]!.at(-1)).toBe(`agent: ${FINAL_TURN}`);
    const stillOpen = await engine.client.fetchDocuments<{ sessionId: string }>(engine.names.sessions, {
      filter: 'inProgress = true',
      fields: ['sessionId'],
      limit: 10_000,
    });
    expect(stillOpen.results.map((doc) => doc.sessionId).sort()).toEqual(upstream.openIds().sort());
    const status = await new SyncStateStore(engine.client, engine.names).get(source);
    expect([...status!.openSessionIds].sort()).toEqual(upstream.openIds().sort());
  });

  it('a sync with nothing new only revisits the sessions still open', async () => {
    const summary = await syncOnce(engine, upstream.factory);
    expect(summary).toMatchObject({ error: null, sessions: upstream.openIds().length, skipped: 0, failed: 0, deleted: 0 });
    await expectIndexHolds(engine, upstream.transcripts());
  });
});
