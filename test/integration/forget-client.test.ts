import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNapsterUpstream, type NapsterRecord, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { engineKeyUid } from '../../src/engine/keys.js';
import { createApp } from '../../src/http/app.js';
import { importFiles } from '../../src/ingest/import-files.js';
import { SyncStateStore } from '../../src/ingest/sync-state.js';
import { silentLogger } from '../../src/logger.js';
import { containsPhrase, loadCorpus, NAPSTER_CORPUS, segments } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { napsterFactory, syncOnce } from '../support/sync.js';

/**
 * Forgetting a client (issue 5): everything of it leaves the indexes and the sync checkpoints, and no
 * way in (sync, push, import) brings it back until an operator re-enables it. The upstream keeps
 * serving the client's sessions throughout, as a vendor would.
 */
type Session = NapsterRecord & {
  companionId: string;
  externalClientId: string;
  closedAt: number | null;
  conversation: { items: Array<{ role: string; text: string; timestamp: number }> };
};

const SESSIONS = 800;

let engine: TestEngine;
let upstream: NapsterUpstream;
let app: ReturnType<typeof createApp>;
let corpus: Session[];
let client: string;
let clientSessions: Session[];
/** One phrase from each of the client's sessions, with how many turns of other clients contain it. */
let phrases: Array<{ phrase: string; elsewhere: number }>;
const files: string[] = [];

const openId = () => clientSessions.find((session) => session.closedAt === null)!.id;
const sync = (full = false) => syncOnce(engine, napsterFactory(upstream), { full });

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await app.request(url, init);
  return { status: response.status, body: await response.json() };
}

async function phraseHits(phrase: string): Promise<number> {
  const { status, body } = await get(`/v1/search/turns?q=${encodeURIComponent(`"${phrase}"`)}&hitsPerPage=1`);
  expect(status).toBe(200);
  return body.totalHits;
}

async function clientSessionsIndexed(): Promise<number> {
  return (await get(`/v1/search/sessions?externalClientId=${client}&hitsPerPage=1`)).body.totalHits;
}

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix, LOG_LEVEL: 'warn' };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('dist/main.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A copy of one of the client's sessions under a new id, created after everything else (built at run time). */
function newClientSession(suffix: string, open: boolean): Session {
  const base = corpus.find((session) => session.externalClientId === client)!;
  const createdAt = Math.max(...corpus.map((s) => s.createdAt), ...upstream?.records().map((s) => s.createdAt) ?? []) + 60;
  return { ...base, id: `${base.id}_${suffix}`, createdAt, closedAt: open ? null : base.closedAt };
}

beforeAll(async () => {
  corpus = await loadCorpus<Session>(NAPSTER_CORPUS, SESSIONS);
  const counts = new Map<string, number>();
  for (const session of corpus) counts.set(session.externalClientId, (counts.get(session.externalClientId) ?? 0) + 1);
  client = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  // An open session too: the sync checkpoints hold its id, to revisit it until it closes.
  corpus.push(newClientSession('open', true));
  clientSessions = corpus.filter((session) => session.externalClientId === client);
  const others = corpus.filter((session) => session.externalClientId !== client).flatMap((session) => session.conversation.items);
  phrases = clientSessions.slice(0, 3).map((session) => {
    const words = session.conversation.items.flatMap((item) => segments(item.text)).find((segment) => segment.length >= 4)!;
    const phrase = words.slice(0, 4).join(' ');
    return { phrase, elsewhere: others.filter((item) => containsPhrase(item.text, phrase)).length };
  });
  upstream = await startNapsterUpstream({ records: corpus, apiKey: 'forget-test-key' });
  engine = await createTestEngine('forget');
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  const first = await sync();
  expect(first).toMatchObject({ error: null, sessions: corpus.length });
});

afterAll(async () => {
  for (const file of files) rmSync(file, { force: true });
  await upstream?.close();
  for (const role of ['indexing', 'search'] as const) {
    await engine?.client.request('DELETE', `/keys/${engineKeyUid(engine.prefix, role)}`).catch(() => undefined);
  }
  await engine?.drop();
});

describe('DELETE /v1/clients/{externalClientId}', () => {
  it('deletes every session and turn of the client, says how many, and records it as forgotten', async () => {
    for (const { phrase, elsewhere } of phrases) expect(await phraseHits(phrase)).toBeGreaterThan(elsewhere);
    const state = new SyncStateStore(engine.client, engine.names);
    expect((await state.get('napster'))!.openSessionIds).toContain(openId());

    const { status, body } = await get(`/v1/clients/${client}`, { method: 'DELETE' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      externalClientId: client,
      deleted: { sessions: clientSessions.length, turns: clientSessions.reduce((sum, s) => sum + s.conversation.items.length, 0) },
      forgotten: { scope: {}, forgottenBy: 'open' },
    });
    expect((await state.get('napster'))!.openSessionIds).not.toContain(openId());
  });

  it("leaves nothing of the client to find: phrases match only other clients' turns, sessions 404", async () => {
    for (const { phrase, elsewhere } of phrases) expect(await phraseHits(phrase)).toBe(elsewhere);
    expect(await clientSessionsIndexed()).toBe(0);
    for (const session of clientSessions) expect((await get(`/v1/sessions/${session.id}`)).status).toBe(404);
    const values = await get(`/v1/facets/externalClientId?q=${client}`);
    expect(values.body.values.map((v: { value: string }) => v.value)).not.toContain(client);
  });

  it('lists the client among the forgotten ones', async () => {
    const { body } = await get('/v1/forgotten-clients');
    expect(body.clients.map((c: { externalClientId: string }) => c.externalClientId)).toEqual([client]);
  });
});

describe('after forgetting', () => {
  it('refuses the sessions a full sync finds upstream again, and reports them', async () => {
    const summary = await sync(true);
    expect(summary.error).toBeNull();
    expect(summary.refused).toBe(clientSessions.length);
    expect(summary.sessions).toBe(corpus.length - clientSessions.length);
    expect(await clientSessionsIndexed()).toBe(0);
    expect((await new SyncStateStore(engine.client, engine.names).get('napster'))!.lastRun).toMatchObject({ refused: clientSessions.length });
  });

  it('refuses a new session of the client in an incremental sync', async () => {
    upstream.upsert([newClientSession('later', false)]);
    const summary = await sync();
    expect(summary.error).toBeNull();
    expect(summary.refused).toBeGreaterThanOrEqual(1);
    expect(await clientSessionsIndexed()).toBe(0);
  });

  it('refuses a push of its sessions, naming why, and accepts the rest', async () => {
    const other = corpus.find((session) => session.externalClientId !== client)!;
    const { status, body } = await get('/v1/sessions?wait=true', { method: 'POST', body: JSON.stringify([clientSessions[1], other]), headers: { 'content-type': 'application/json' } });
    expect(status).toBe(202);
    expect(body).toEqual({ accepted: 1, rejected: [{ index: 0, error: expect.stringContaining('forgotten') }], redactions: {} });
    expect(await clientSessionsIndexed()).toBe(0);
  });

  it('refuses an import of its sessions, reporting them by line', async () => {
    const file = path.join(tmpdir(), `transcript-search-forget-${randomBytes(4).toString('hex')}.jsonl`);
    files.push(file);
    const other = corpus.find((session) => session.externalClientId !== client)!;
    writeFileSync(file, [other, clientSessions[2]].map((record) => JSON.stringify(record)).join('\n'));
    const problems: string[] = [];
    const result = await importFiles(engine.ingest, [file], (problem) => problems.push(problem));
    expect(result).toMatchObject({ sessions: 1, refused: 1 });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${file}:2: .*forgotten`))]);
    expect(await clientSessionsIndexed()).toBe(0);
  });
});

describe('transcript-search forget', () => {
  it('re-enables a client with --undo, after which a sync brings its sessions back', async () => {
    const undo = await cli('forget', '--undo', client);
    expect(undo.code, undo.stderr).toBe(0);
    expect(JSON.parse(undo.stdout)).toMatchObject({ externalClientId: client, reenabled: true });
    expect((await cli('forget', '--undo', client)).code).not.toBe(0);

    const summary = await sync(true);
    expect(summary).toMatchObject({ error: null, refused: 0 });
    expect(await clientSessionsIndexed()).toBe(clientSessions.length + 1);
    for (const { phrase, elsewhere } of phrases) expect(await phraseHits(phrase)).toBeGreaterThan(elsewhere);
  });

  it('forgets the client again from the command line, printing what it deleted', async () => {
    const result = await cli('forget', client);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed).toMatchObject({ externalClientId: client, deleted: { sessions: clientSessions.length + 1 }, forgotten: { forgottenBy: 'cli' } });
    expect(await clientSessionsIndexed()).toBe(0);
    for (const session of clientSessions) expect((await get(`/v1/sessions/${session.id}`)).status).toBe(404);
    const listed = await cli('forget', '--list');
    expect(JSON.parse(listed.stdout).clients.map((c: { externalClientId: string }) => c.externalClientId)).toEqual([client]);
  });

  it('refuses bad arguments', async () => {
    expect((await cli('forget')).code).not.toBe(0);
    expect((await cli('forget', '--list', client)).code).not.toBe(0);
  });
});

describe('forgetting a client never seen', () => {
  it('is recorded in advance by the CLI and by the API alike, and a second forget either way keeps the first', async () => {
    const byCli = await cli('forget', 'never_seen_by_cli');
    expect(byCli.code, byCli.stderr).toBe(0);
    const first = JSON.parse(byCli.stdout);
    expect(first).toMatchObject({ externalClientId: 'never_seen_by_cli', deleted: { sessions: 0, turns: 0 }, forgotten: { scope: {}, forgottenBy: 'cli' } });
    const byApi = await get('/v1/clients/never_seen_by_api', { method: 'DELETE' });
    expect(byApi).toMatchObject({ status: 200, body: { externalClientId: 'never_seen_by_api', deleted: { sessions: 0, turns: 0 }, forgotten: { scope: {}, forgottenBy: 'open' } } });

    const againByApi = await get('/v1/clients/never_seen_by_cli', { method: 'DELETE' });
    expect(againByApi.body.forgotten).toEqual(first.forgotten);
    const againByCli = await cli('forget', 'never_seen_by_api');
    expect(JSON.parse(againByCli.stdout).forgotten).toEqual(byApi.body.forgotten);

    const listed = JSON.parse((await cli('forget', '--list')).stdout).clients as Array<{ externalClientId: string; entries: unknown[] }>;
    for (const id of ['never_seen_by_cli', 'never_seen_by_api']) expect(listed.find((record) => record.externalClientId === id)?.entries).toHaveLength(1);
  });

  it('refuses a blank id through the API as the CLI does, with 400', async () => {
    for (const id of ['%20', '%20%09']) {
      const { status, body } = await get(`/v1/clients/${id}`, { method: 'DELETE' });
      expect(status).toBe(400);
      expect(body.error.message).toBe('CLIENT_ID must not be blank');
    }
  });
});
