import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { createApp } from '../../src/http/app.js';
import { importFiles } from '../../src/ingest/import-files.js';
import { silentLogger } from '../../src/logger.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from '../support/agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { agentsFactory, napsterFactory, syncOnce } from '../support/sync.js';
import { agentTranscripts, expectIndexHolds, indexedTranscripts, napsterTranscripts, turnTotal, type Transcripts } from '../support/transcripts.js';

type AgentSession = AgentRecord & { session_id: string; transcript: Array<{ role: string; text: string; turn_index: number; ts: number }> };
type NapsterSession = NapsterRecord & { conversation: { items: Array<{ role: string; text: string; timestamp: number }> } };

const SESSIONS = 100;

let agents: AgentSession[];
let napster: NapsterSession[];
let agentsUpstream: AgentsUpstream;
let napsterUpstream: NapsterUpstream;
let engine: TestEngine;
let app: ReturnType<typeof createApp>;
let exportFile: string;
let expected: Transcripts;

/** The same two sessions every way in: one of each vendor shape, served by the fakes too. */
const pushed = () => [agents[7]!, napster[7]!];

async function push(records: unknown[]) {
  const response = await app.request('/v1/sessions?wait=true', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { accepted: number; rejected: unknown[] };
}

async function expectOneOfEach() {
  expect(Object.keys(expected)).toHaveLength(2 * SESSIONS);
  await expectIndexHolds(engine, expected);
}

beforeAll(async () => {
  agents = await loadCorpus<AgentSession>(AGENTS_CORPUS, SESSIONS);
  napster = await loadCorpus<NapsterSession>(NAPSTER_CORPUS, SESSIONS);
  agentsUpstream = await startAgentsUpstream({ records: agents });
  napsterUpstream = await startNapsterUpstream({ records: napster, apiKey: 'test-napster-key' });
  engine = await createTestEngine('push_import_pull');
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  exportFile = path.join(tmpdir(), `transcript-search-export-${randomBytes(4).toString('hex')}.jsonl`);
  writeFileSync(exportFile, pushed().map((record) => JSON.stringify(record)).join('\n'));
  expected = { ...agentTranscripts(agents), ...napsterTranscripts(napster) };
});

afterAll(async () => {
  rmSync(exportFile, { force: true });
  await agentsUpstream?.close();
  await napsterUpstream?.close();
  await engine?.drop();
});

describe('one session pushed, imported and pulled', () => {
  it('is one session with its turns once, whichever way it came in first', async () => {
    const presigned = { ...pushed()[0], recording_presigned_url: 'https://recordings.example.com/x.ogg?X-Amz-Signature=abc' };
    expect(await push([presigned, pushed()[1]])).toEqual({ accepted: 2, rejected: [] });
    expect(await importFiles(engine.ingest, [exportFile], () => {})).toEqual({ files: 1, sessions: 2, turns: turnTotal(napsterTranscripts([napster[7]!])) + agents[7]!.transcript.length, skipped: 0, refused: 0 });
    for (const factory of [agentsFactory(agentsUpstream), napsterFactory(napsterUpstream)]) {
      const summary = await syncOnce(engine, factory);
      expect(summary).toMatchObject({ error: null, skipped: 0, failed: 0 });
      // A closed session already pushed is not fetched again: it is the same session.
      expect(summary.sessions + summary.unchanged).toBe(SESSIONS);
    }
    await expectOneOfEach();

    expect(await push(pushed())).toEqual({ accepted: 2, rejected: [] });
    await importFiles(engine.ingest, [exportFile], () => {});
    await expectOneOfEach();
    const stored = await engine.client.fetchDocuments(engine.names.sessions, { limit: 1_000 });
    expect(JSON.stringify(stored.results)).not.toContain('X-Amz-Signature');
  });

  it('loses a pushed extra turn when the pull reloads the session', async () => {
    const [agent, companion] = pushed() as [AgentSession, NapsterSession];
    const agentExtra = { ...agent, transcript: [...agent.transcript, { role: 'user', text: 'one more thing', turn_index: agent.transcript.length, ts: 99 }] };
    const companionExtra = {
      ...companion,
      conversation: { items: [...companion.conversation.items, { role: 'user', text: 'one more thing', timestamp: companion.createdAt + 99 }] },
    };
    await push([agentExtra, companionExtra]);
    expect((await indexedTranscripts(engine))[agent.session_id]).toHaveLength(agent.transcript.length + 1);

    for (const factory of [agentsFactory(agentsUpstream), napsterFactory(napsterUpstream)]) {
      expect(await syncOnce(engine, factory, { full: true })).toMatchObject({ error: null, sessions: SESSIONS, deleted: 0 });
    }
    await expectOneOfEach();
  });
});
