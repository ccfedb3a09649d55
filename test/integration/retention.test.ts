import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentKey, exactKey } from '../../src/engine/documents.js';
import { createApp } from '../../src/http/app.js';
import { ingestDeps, type IngestDeps } from '../../src/ingest/deps.js';
import { SyncController } from '../../src/ingest/sync-controller.js';
import { silentLogger } from '../../src/logger.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from '../support/agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus, type AgentCorpusRecord } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { agentsFactory } from '../support/sync.js';

/*
 * RETENTION_DAYS=30 over sessions of 3 to 60 days ago: the first pass with it set deletes the older
 * ones with everything made of them (turns, tracker match records and deliveries naming them, their
 * ids in the checkpoint), later passes (incremental and full) do not bring them back although the
 * vendor still lists them, and a push of one is refused.
 */

const DAY = 86_400_000;
const RETENTION_DAYS = 30;

let engine: TestEngine;
let upstream: AgentsUpstream;
let records: AgentCorpusRecord[];
let old: string[];
let recent: string[];

const controller = (retentionDays: number | null) =>
  new SyncController({ ...ingestDeps({ engine: engine.client, names: engine.names, log: silentLogger, retentionDays }), sources: [agentsFactory(upstream)], concurrency: 8 });

async function indexedIds(): Promise<{ sessions: string[]; turnSessions: string[] }> {
  const sessions: string[] = [];
  for await (const doc of engine.client.documents<{ sessionId: string }>(engine.names.sessions, { fields: ['sessionId'] })) sessions.push(doc.sessionId);
  const turnSessions = new Set<string>();
  for await (const doc of engine.client.documents<{ sessionId: string }>(engine.names.turns, { fields: ['sessionId'] })) turnSessions.add(doc.sessionId);
  return { sessions: sessions.sort(), turnSessions: [...turnSessions].sort() };
}

beforeAll(async () => {
  engine = await createTestEngine('retention');
  const corpus = await loadCorpus<AgentCorpusRecord>(AGENTS_CORPUS, 40);
  const now = Date.now();
  // Half within retention (3–22 days old), half past it (40–59 days old), one of those still open.
  records = corpus.map((record, i) => {
    const age = i % 2 === 0 ? 3 + i / 2 : 40 + (i - 1) / 2;
    const createdAt = now - age * DAY;
    const finalized = i === 1 ? null : new Date(createdAt + 60_000).toISOString();
    return { ...record, created_at: new Date(createdAt).toISOString(), finalized_at: finalized };
  });
  old = records.filter((_, i) => i % 2 === 1).map((record) => record.session_id).sort();
  recent = records.filter((_, i) => i % 2 === 0).map((record) => record.session_id).sort();
  upstream = await startAgentsUpstream({ records: records as unknown as AgentRecord[] });
});

afterAll(async () => {
  await upstream?.close();
  await engine?.drop();
});

describe('RETENTION_DAYS', () => {
  it('deletes sessions past it and what was made of them on the next pass', async () => {
    const first = controller(null);
    await first.run();
    expect((await indexedIds()).sessions).toEqual([...old, ...recent].sort());
    expect((await first.status()).sources[0]!.openSessionIds).toEqual([records[1]!.session_id]);
    // Tracker records as evaluation leaves them: a match per tracker and session, a delivery per session, each keyed by its session.
    await engine.client.waitForTask(
      await engine.client.addDocuments(engine.names.state, [
        { id: 'match-old', kind: 'match', trackerId: 'trk_0000000000000001', sessionKey: exactKey(old[0]!), turns: [0] },
        { id: 'match-recent', kind: 'match', trackerId: 'trk_0000000000000001', sessionKey: exactKey(recent[0]!), turns: [0] },
        { id: 'dlv_old', kind: 'delivery', trackerId: 'trk_0000000000000001', status: 'pending', sessionKey: exactKey(old[1]!), sessionIds: [old[1]], body: '{}' },
        { id: 'dlv_recent', kind: 'delivery', trackerId: 'trk_0000000000000001', status: 'pending', sessionKey: exactKey(recent[1]!), sessionIds: [recent[1]], body: '{}' },
      ]),
    );

    const withRetention = controller(RETENTION_DAYS);
    const [summary] = await withRetention.run();
    expect(summary).toMatchObject({ error: null, sessions: 0 });
    expect(await indexedIds()).toEqual({ sessions: recent, turnSessions: recent });
    const { results } = await engine.client.fetchDocuments<{ id: string }>(engine.names.state, { filter: 'kind IN ["match", "delivery"]', fields: ['id'], limit: 10 });
    expect(results.map((record) => record.id).sort()).toEqual(['dlv_recent', 'match-recent']);

    const status = await withRetention.status();
    expect(status.sources[0]!.openSessionIds).toEqual([]);
    const turnsOfOld = records.filter((record) => old.includes(record.session_id)).reduce((sum, record) => sum + record.transcript.length, 0);
    expect(status.retention).toMatchObject({
      days: RETENTION_DAYS,
      lastSweep: { sessions: old.length, turns: turnsOfOld, trackerMatches: 1, deliveries: 1 },
      removedTotal: { sessions: old.length, turns: turnsOfOld, trackerMatches: 1, deliveries: 1 },
    });
    expect(Date.parse(status.retention!.cutoff)).toBeLessThan(Date.now() - RETENTION_DAYS * DAY + 60_000);

    // The deletions' tasks held the expired ids in their filters: they are gone from the task list.
    const tasks: unknown[] = [];
    for await (const task of engine.client.tasks([engine.names.turns, engine.names.sessions])) tasks.push(task);
    const taskList = JSON.stringify(tasks);
    expect(old.filter((id) => taskList.includes(documentKey(id)) || taskList.includes(id))).toEqual([]);
  });

  it('keeps them gone through later passes, incremental and full, while the vendor still lists them', async () => {
    const later = controller(RETENTION_DAYS);
    const [incremental] = await later.run();
    expect(incremental).toMatchObject({ error: null, sessions: 0 });
    const [full] = await later.run({ full: true });
    expect(full).toMatchObject({ error: null, expired: old.length, deleted: 0, sessions: recent.length });
    expect(await indexedIds()).toEqual({ sessions: recent, turnSessions: recent });
    expect((await later.status()).retention!.lastSweep).toEqual({ sessions: 0, turns: 0, trackerMatches: 0, deliveries: 0 });
  });

  it('refuses a pushed session past it, and answers GET /v1/sync with what retention removed', async () => {
    const sync = controller(RETENTION_DAYS);
    const ingest: IngestDeps = ingestDeps({ engine: engine.client, names: engine.names, log: silentLogger, retentionDays: RETENTION_DAYS });
    const app = createApp({ engine: engine.client, names: engine.names, log: silentLogger, ingest, sync });
    const expired = records.find((record) => record.session_id === old[2])!;
    const pushed = await app.request('/v1/sessions?wait=true', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([expired, records[0]]) });
    expect(pushed.status).toBe(202);
    expect(await pushed.json()).toMatchObject({ accepted: 1, rejected: [{ index: 0, error: expect.stringContaining('RETENTION_DAYS') }] });
    expect((await indexedIds()).sessions).toEqual(recent);

    const status = (await (await app.request('/v1/sync')).json()) as { retention: { removedTotal: { sessions: number } } };
    expect(status.retention.removedTotal.sessions).toBe(old.length);
  });
});
