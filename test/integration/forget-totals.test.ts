import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { syncOnce } from '../support/sync.js';
import { expectIndexHolds } from '../support/transcripts.js';
import { agentsUpstream, napsterUpstream, type Upstream } from '../support/upstreams.js';

/**
 * After a forget the source still lists the client's sessions and the service refuses them on purpose:
 * the totals check counts them as withheld, so neither the next incremental pass (which never lists
 * them again) nor a full one (which refuses them) reports the index as short of the source; the agents
 * vendor's usage totals add up too. Once the client is re-enabled, the next incremental pass fetches
 * them again and they are withheld no longer.
 */
describe.each([
  { source: 'napster', start: () => napsterUpstream({ limit: 300 }) },
  { source: 'agents', start: () => agentsUpstream({ limit: 300 }) },
])('totals of the $source source after a forget', ({ source, start }) => {
  let upstream: Upstream;
  let engine: TestEngine;
  let app: ReturnType<typeof createApp>;
  let client: string;
  let clientSessions: number;

  beforeAll(async () => {
    upstream = await start();
    engine = await createTestEngine(`forgettotals_${source}`);
    app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  });

  afterAll(async () => {
    await upstream?.close();
    await engine?.drop();
  });

  it('agree with the source before the forget', async () => {
    const summary = await syncOnce(engine, upstream.factory);
    expect(summary).toMatchObject({ error: null, sessions: upstream.ids().length });
    expect(summary.totals?.mismatches).toEqual([]);
    expect(summary.totals?.withheld.sessions).toBe(0);
    // The client with the most sessions.
    const page = (await (await app.request('/v1/search/sessions?facets=externalClientId&hitsPerPage=1')).json()) as { facets: { externalClientId: Record<string, number> } };
    [client, clientSessions] = Object.entries(page.facets.externalClientId).sort((a, b) => b[1] - a[1])[0]!;
    expect(clientSessions).toBeGreaterThan(1);
  });

  it('agree after the forget in an incremental pass, the forgotten sessions counted as withheld', async () => {
    const forget = await app.request(`/v1/clients/${encodeURIComponent(client)}`, { method: 'DELETE' });
    expect(forget.status).toBe(200);
    expect(((await forget.json()) as { deleted: { sessions: number } }).deleted.sessions).toBe(clientSessions);

    const summary = await syncOnce(engine, upstream.factory);
    expect(summary.error).toBeNull();
    expect(summary.totals?.mismatches).toEqual([]);
    expect(summary.totals?.upstream.sessions).toBe(upstream.ids().length);
    expect(summary.totals?.indexed.sessions).toBe(upstream.ids().length - clientSessions);
    expect(summary.totals?.withheld.sessions).toBe(clientSessions);
    if (source === 'agents') expect(summary.totals?.withheld.llmInputTokens).toBeGreaterThan(0);
  });

  it('agree in a full pass, which refuses the sessions again', async () => {
    const summary = await syncOnce(engine, upstream.factory, { full: true });
    expect(summary).toMatchObject({ error: null, refused: clientSessions, deleted: 0 });
    expect(summary.totals?.mismatches).toEqual([]);
    expect(summary.totals?.withheld.sessions).toBe(clientSessions);
  });

  it('agree once the client is re-enabled: the next incremental pass fetches its sessions again', async () => {
    expect((await app.request(`/v1/forgotten-clients/${encodeURIComponent(client)}`, { method: 'DELETE' })).status).toBe(200);
    const summary = await syncOnce(engine, upstream.factory);
    expect(summary).toMatchObject({ error: null, refused: 0 });
    // Besides them, an incremental pass reloads the sessions still open and those near the watermark.
    expect(summary.sessions).toBeGreaterThanOrEqual(clientSessions);
    expect(summary.totals?.mismatches).toEqual([]);
    expect(summary.totals?.withheld.sessions).toBe(0);
    await expectIndexHolds(engine, upstream.transcripts());
  });
});
