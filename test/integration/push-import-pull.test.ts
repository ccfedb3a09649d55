import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { importFiles } from '../../src/ingest/import-files.js';
import type { AgentRecord } from '../support/agents-upstream.js';
import { describe, expect, test, type AgentsFixture, type NapsterFixture } from '../support/fixtures.js';
import type { NapsterCorpusRecord } from '../support/corpus.js';
import type { TestEngine } from '../support/engine.js';
import { agentsFactory, napsterFactory, syncOnce } from '../support/sync.js';
import { agentTranscripts, expectIndexHolds, indexedTranscripts, napsterTranscripts, turnTotal } from '../support/transcripts.js';

type AgentSession = AgentRecord & { session_id: string; transcript: Array<{ role: string; text: string; turn_index: number; ts: number }> };

const SESSIONS = 100;
test.override({ napsterSessions: SESSIONS, agentsSessions: SESSIONS });

const exportFile = path.join(tmpdir(), `transcript-search-export-${randomBytes(4).toString('hex')}.jsonl`);
afterAll(() => rmSync(exportFile, { force: true }));

/** The same two sessions every way in: one of each vendor shape, served by the fakes too. */
const pushed = (agents: AgentsFixture, napster: NapsterFixture) => [agents.records[7] as AgentSession, napster.records[7]!] as const;

async function push(app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, records: unknown[]) {
  const response = await app.request('/v1/sessions?wait=true', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(records) });
  expect(response.status).toBe(202);
  return (await response.json()) as { accepted: number; rejected: unknown[] };
}

async function expectOneOfEach(engine: TestEngine, agents: AgentsFixture, napster: NapsterFixture) {
  const expected = { ...agentTranscripts(agents.records), ...napsterTranscripts(napster.records) };
  expect(Object.keys(expected)).toHaveLength(2 * SESSIONS);
  await expectIndexHolds(engine, expected);
}

describe('one session pushed, imported and pulled', () => {
  test('is one session with its turns once, whichever way it came in first', async ({ engine, app, agents, napster }) => {
    const [agent, companion] = pushed(agents, napster);
    writeFileSync(exportFile, [agent, companion].map((record) => JSON.stringify(record)).join('\n'));
    const presigned = { ...agent, recording_presigned_url: 'https://recordings.example.com/x.ogg?X-Amz-Signature=abc' };
    expect(await push(app, [presigned, companion])).toEqual({ accepted: 2, rejected: [], redactions: {} });
    const counts = { sessions: 2, turns: turnTotal(napsterTranscripts([companion])) + agent.transcript.length, skipped: 0, refused: 0, redactions: {} };
    expect(await importFiles(engine.ingest, [exportFile], () => {})).toEqual({ files: 1, ...counts, outcomes: [{ file: exportFile, status: 'imported', ...counts }] });
    for (const factory of [agentsFactory(agents.fake), napsterFactory(napster.fake)]) {
      const summary = await syncOnce(engine, factory);
      expect(summary).toMatchObject({ error: null, skipped: 0, failed: 0 });
      // A closed session already pushed is not fetched again: it is the same session.
      expect(summary.sessions + summary.unchanged).toBe(SESSIONS);
    }
    await expectOneOfEach(engine, agents, napster);

    expect(await push(app, [agent, companion])).toEqual({ accepted: 2, rejected: [], redactions: {} });
    await importFiles(engine.ingest, [exportFile], () => {});
    await expectOneOfEach(engine, agents, napster);
    const stored = await engine.client.fetchDocuments(engine.names.sessions, { limit: 1_000 });
    expect(JSON.stringify(stored.results)).not.toContain('X-Amz-Signature');
  });

  test('loses a pushed extra turn when the pull reloads the session', async ({ engine, app, agents, napster }) => {
    const [agent, companion] = pushed(agents, napster) as [AgentSession, NapsterCorpusRecord];
    const agentExtra = { ...agent, transcript: [...agent.transcript, { role: 'user', text: 'one more thing', turn_index: agent.transcript.length, ts: 99 }] };
    const companionExtra = {
      ...companion,
      conversation: { items: [...companion.conversation.items, { role: 'user', text: 'one more thing', timestamp: companion.createdAt + 99 }] },
    };
    await push(app, [agentExtra, companionExtra]);
    expect((await indexedTranscripts(engine))[agent.session_id]).toHaveLength(agent.transcript.length + 1);

    for (const factory of [agentsFactory(agents.fake), napsterFactory(napster.fake)]) {
      expect(await syncOnce(engine, factory, { full: true })).toMatchObject({ error: null, sessions: SESSIONS, deleted: 0 });
    }
    await expectOneOfEach(engine, agents, napster);
  });
});
