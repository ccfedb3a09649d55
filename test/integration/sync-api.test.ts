import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { SyncController } from '../../src/ingest/sync-controller.js';
import type { SourceStatus } from '../../src/ingest/sync-state.js';
import { silentLogger } from '../../src/logger.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from '../support/agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { agentsFactory } from '../support/sync.js';
import { agentTranscripts, indexedTranscripts } from '../support/transcripts.js';

type Status = SourceStatus & { running: boolean };

const SESSIONS = 300;

let agents: AgentRecord[];
let upstream: AgentsUpstream;
let engine: TestEngine;
let controller: SyncController;
let app: ReturnType<typeof createApp>;

/**
 * Holds every list request at the fake until released, counting how many wait at once: one sync's
 * listing is sequential, so two waiting together would be two passes of one source overlapping.
 */
function gateListing() {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const gate = { waiting: 0, mostWaiting: 0, requests: 0, release };
  upstream.beforeListPage = async () => {
    gate.requests++;
    gate.waiting++;
    gate.mostWaiting = Math.max(gate.mostWaiting, gate.waiting);
    await opened;
    gate.waiting--;
  };
  return gate;
}

/** Resolves once the fake has received `count` list requests. */
async function untilRequests(gate: { requests: number }, count: number) {
  while (gate.requests < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function call(method: 'GET' | 'POST', url: string) {
  const response = await app.request(url, { method });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function agentsStatus(): Promise<Status> {
  const { status, body } = await call('GET', '/v1/sync');
  expect(status).toBe(200);
  return (body.sources as Status[]).find((source) => source.source === 'agents')!;
}

beforeAll(async () => {
  agents = await loadCorpus<AgentRecord>(AGENTS_CORPUS, SESSIONS);
  upstream = await startAgentsUpstream({ records: agents });
  engine = await createTestEngine('sync_api');
  controller = new SyncController({ ...engine.ingest, sources: [agentsFactory(upstream)], concurrency: 16 });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, sync: controller });
});

afterEach(() => {
  upstream.beforeListPage = undefined;
});

afterAll(async () => {
  await controller?.stop();
  await upstream?.close();
  await engine?.drop();
});

describe('GET and POST /v1/sync', () => {
  it('reports a source that never ran', async () => {
    expect(await agentsStatus()).toMatchObject({ running: false, fullQueued: false, lastRunFinishedAt: null, watermark: null, skippedSessions: [] });
    expect(await call('GET', '/ready')).toMatchObject({ status: 200, body: { indexing: false } });
  });

  it('starts a pass that answers 202 at once, shows it running, and joins a second request to it', async () => {
    const gate = gateListing();
    expect(await call('POST', '/v1/sync')).toEqual({ status: 202, body: { started: ['agents'], heldElsewhere: [] } });
    await untilRequests(gate, 1);
    expect((await agentsStatus()).running).toBe(true);
    // The first pass of a source: ready (what is indexed is searchable), and saying it is still indexing.
    expect(await call('GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ready', indexing: true } });

    expect(await call('POST', '/v1/sync?source=agents')).toEqual({ status: 202, body: { started: ['agents'], heldElsewhere: [] } });
    const joined = controller.run({ source: 'agents' });
    gate.release();
    const [summary] = await joined;
    expect(gate.mostWaiting).toBe(1);
    expect(summary).toMatchObject({ error: null, sessions: SESSIONS, skipped: 0, failed: 0 });

    const status = await agentsStatus();
    expect(status).toMatchObject({
      running: false,
      lastError: null,
      lastRun: { sessions: SESSIONS, turns: summary!.turns, skipped: 0, failed: 0 },
      skippedSessions: [],
      totals: { mismatches: [], upstream: { sessions: SESSIONS } },
    });
    expect(status.watermark).toBe(Math.max(...agents.map((agent) => Date.parse(agent.created_at as string) / 1000)));
    expect(await indexedTranscripts(engine)).toEqual(agentTranscripts(agents));
    expect(await call('GET', '/ready')).toMatchObject({ status: 200, body: { indexing: false } });
  });

  it('queues a full pass asked for during the periodic one, and never overlaps the two', async () => {
    const open = agents.filter((agent) => agent.finalized_at === null).length;
    const gate = gateListing();
    controller.startPeriodic(3_600);
    await untilRequests(gate, 1);
    expect(await call('POST', '/v1/sync?full=true')).toEqual({ status: 202, body: { started: ['agents'], heldElsewhere: [] } });
    expect(await agentsStatus()).toMatchObject({ running: true, fullQueued: true });
    // A later pass is not a first one: the index holds the source already.
    expect(await call('GET', '/ready')).toMatchObject({ status: 200, body: { indexing: false } });

    const periodic = controller.run();
    const full = controller.run({ full: true });
    gate.release();
    expect(await periodic).toMatchObject([{ error: null, sessions: open }]);
    expect(await full).toMatchObject([{ error: null, sessions: SESSIONS, deleted: 0 }]);
    expect(gate.mostWaiting).toBe(1);
    expect(await agentsStatus()).toMatchObject({ running: false, fullQueued: false, lastError: null });
  });

  it('refuses a source that is not configured and a malformed flag', async () => {
    expect(await call('POST', '/v1/sync?source=napster')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await call('POST', '/v1/sync?full=yes')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await call('POST', '/v1/sync?source=zendesk')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
  });
});
