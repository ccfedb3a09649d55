import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { createApp } from '../../src/http/app.js';
import { SyncController } from '../../src/ingest/sync-controller.js';
import type { SourceStatus } from '../../src/ingest/sync-state.js';
import { silentLogger } from '../../src/logger.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from '../support/agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { agentsFactory, napsterFactory } from '../support/sync.js';
import { agentTranscripts, indexedTranscripts, napsterTranscripts } from '../support/transcripts.js';

type AgentSession = AgentRecord & { session_id: string; transcript: Array<Record<string, unknown>> };
type NapsterSession = NapsterRecord & { conversation: { items: Array<Record<string, unknown>> } };

let agents: AgentSession[];
let napster: NapsterSession[];
let agentsUpstream: AgentsUpstream;
let napsterUpstream: NapsterUpstream;
let engine: TestEngine;
let controller: SyncController;
let app: ReturnType<typeof createApp>;

/** Copies of corpus sessions, each broken in one way a vendor might break it, keyed by what is wrong. */
function brokenAgents(): Record<string, AgentRecord> {
  const [a, b, c, d, e] = agents.slice(-5) as [AgentSession, AgentSession, AgentSession, AgentSession, AgentSession];
  const { transcript: _dropped, ...withoutTranscript } = c;
  const { session_id: _noId, ...withoutId } = e;
  return {
    created_at: { ...a, session_id: `${a.session_id}-bad-date`, created_at: 'yesterday' },
    llm_input_tokens: { ...b, session_id: `${b.session_id}-bad-tokens`, llm_input_tokens: 'many' },
    transcript: { ...withoutTranscript, session_id: `${c.session_id}-no-transcript` },
    'transcript.0.role': { ...d, session_id: `${d.session_id}-bad-role`, transcript: [{ ...d.transcript[0], role: 'narrator' }, ...d.transcript.slice(1)] },
    session_id: withoutId,
  };
}

function brokenNapster(): Record<string, NapsterRecord> {
  const [a, b, c] = napster.slice(-3) as [NapsterSession, NapsterSession, NapsterSession];
  const { conversation: _dropped, ...withoutConversation } = b;
  return {
    createdAt: { ...a, id: `${a.id}_bad_time`, createdAt: 'soon' as unknown as number },
    conversation: { ...withoutConversation, id: `${b.id}_no_conversation` },
    'conversation.items.1.text': {
      ...c,
      id: `${c.id}_bad_text`,
      conversation: { items: c.conversation.items.map((item, i) => (i === 1 ? { ...item, text: 42 } : item)) },
    },
  };
}

async function syncStatus(): Promise<Record<string, SourceStatus & { running: boolean }>> {
  const response = await app.request('/v1/sync');
  expect(response.status).toBe(200);
  const { sources } = (await response.json()) as { sources: Array<SourceStatus & { running: boolean }> };
  return Object.fromEntries(sources.map((status) => [status.source, status]));
}

beforeAll(async () => {
  agents = await loadCorpus<AgentSession>(AGENTS_CORPUS, 600);
  napster = await loadCorpus<NapsterSession>(NAPSTER_CORPUS, 300);
  agentsUpstream = await startAgentsUpstream({ records: [...agents, ...Object.values(brokenAgents())] });
  napsterUpstream = await startNapsterUpstream({ records: [...napster, ...Object.values(brokenNapster())], apiKey: 'test-napster-key' });
  engine = await createTestEngine('malformed');
  controller = new SyncController({
    ...engine.ingest,
    sources: [agentsFactory(agentsUpstream), napsterFactory(napsterUpstream)],
    concurrency: 16,
  });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, sync: controller });
});

afterAll(async () => {
  await controller?.stop();
  await agentsUpstream?.close();
  await napsterUpstream?.close();
  await engine?.drop();
});

describe('vendor records that do not match their schema', () => {
  it('are skipped, each with its reason in the sync status, and everything else is indexed', async () => {
    const summaries = await controller.run();
    const bySource = Object.fromEntries(summaries.map((summary) => [summary.source, summary]));
    expect(bySource.agents).toMatchObject({ error: null, failed: 0, skipped: 5, sessions: agents.length });
    expect(bySource.napster).toMatchObject({ error: null, failed: 0, skipped: 3, sessions: napster.length });
    expect(await indexedTranscripts(engine, 'agents')).toEqual(agentTranscripts(agents));
    expect(await indexedTranscripts(engine, 'napster')).toEqual(napsterTranscripts(napster));

    const status = await syncStatus();
    for (const [source, broken] of [['agents', brokenAgents()], ['napster', brokenNapster()]] as const) {
      expect(status[source]!).toMatchObject({ running: false, lastError: null, lastRun: { skipped: Object.keys(broken).length } });
      for (const [field, record] of Object.entries(broken)) {
        const id = (record.session_id ?? record.id ?? null) as string | null;
        const entry = status[source]!.skippedSessions.find((skipped) => skipped.sessionId === (field === 'session_id' ? null : id));
        expect(entry?.reason, `${source} ${field}`).toContain(field);
      }
    }
  });

  it('show in the totals check: the source counts sessions the index could not take', async () => {
    const status = await syncStatus();
    expect(status.agents!.totals!.mismatches).toContainEqual({ field: 'sessions', upstream: agents.length + 5, indexed: agents.length });
    expect(status.napster!.totals!.mismatches).toEqual([{ field: 'sessions', upstream: napster.length + 3, indexed: napster.length }]);
  });

  it('keep the version already indexed when a session turns malformed, even through --full', async () => {
    const victim = agents[0]!;
    agentsUpstream.upsert([{ ...victim, transcript: 'not a list' }]);
    const [summary] = await controller.run({ source: 'agents', full: true });
    expect(summary).toMatchObject({ error: null, deleted: 0, skipped: 6 });
    expect((await indexedTranscripts(engine, 'agents'))[victim.session_id]).toEqual(agentTranscripts([victim])[victim.session_id]);
    expect((await syncStatus()).agents!.skippedSessions.map((skipped) => skipped.sessionId)).toContain(victim.session_id);
  });
});
