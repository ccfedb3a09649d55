import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionDocument, TurnDocument } from '../../src/engine/documents.js';
import { ensureIndexes } from '../../src/engine/indexes.js';
import { DOCUMENTS_VERSION } from '../../src/engine/migrations.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { loadCorpus, NAPSTER_CORPUS, type NapsterCorpusRecord } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/** Indexes written by an earlier version are brought forward when the service opens them, in place. */
let engine: TestEngine;

beforeAll(async () => {
  engine = await createTestEngine('migrations');
});

afterAll(async () => {
  await engine?.drop();
});

async function allSessions(): Promise<SessionDocument[]> {
  const sessions: SessionDocument[] = [];
  for await (const doc of engine.client.documents<SessionDocument>(engine.names.sessions, {})) sessions.push(doc);
  return sessions;
}

async function allTurns(): Promise<TurnDocument[]> {
  const turns: TurnDocument[] = [];
  for await (const doc of engine.client.documents<TurnDocument>(engine.names.turns, {})) turns.push(doc);
  return turns;
}

describe('migrations', () => {
  it('marks a new, empty deployment as current without touching anything', async () => {
    expect(await engine.client.getDocument(engine.names.state, 'documents-version')).toMatchObject({ version: DOCUMENTS_VERSION });
  });

  it('gives turns their UTC day and sessions their text, keeping every other field, and records the version', async () => {
    const sessions = (await loadCorpus<NapsterCorpusRecord>(NAPSTER_CORPUS, 300)).map(parseVendorSession);
    // One session longer than a session document holds: its turns are flagged instead.
    const long = { ...sessions[0]!, sessionId: 'sess_long', turns: Array.from({ length: 3_000 }, (_, turnIndex) => ({ ...sessions[0]!.turns[0]!, turnIndex, role: 'user' as const, text: `turn ${turnIndex}: the same zorblax words, again and again, for a long while.` })) };
    await writeSessions(engine.ingest, [...sessions, long], { wait: true });
    const current = await allTurns();
    const currentSessions = await allSessions();
    expect(currentSessions.find((session) => session.sessionId === 'sess_long')).toMatchObject({ textComplete: false, userText: [] });
    expect(current.filter((turn) => turn.longSession)).toHaveLength(3_000);
    // What version 1 wrote: the same documents without `day`, `longSession` and the session text (a full replacement drops them).
    const old = current.map(({ day: _day, longSession: _long, ...rest }) => rest);
    const oldSessions = currentSessions.map(({ userText: _u, agentText: _a, userTurns: _ut, agentTurns: _at, textComplete: _c, ...rest }) => rest);
    await engine.client.waitForTask(await engine.client.addDocuments(engine.names.turns, old));
    await engine.client.waitForTask(await engine.client.addDocuments(engine.names.sessions, oldSessions));
    await engine.client.waitForTask(await engine.client.deleteDocument(engine.names.state, 'documents-version'));
    expect((await allTurns()).every((turn) => !('day' in turn))).toBe(true);

    await ensureIndexes(engine.client, engine.names);

    const migrated = new Map((await allTurns()).map((turn) => [turn.id, turn]));
    expect(migrated.size).toBe(current.length);
    for (const turn of current) {
      expect(migrated.get(turn.id)).toEqual(turn);
      expect(turn.day).toBe(turn.timestamp === null ? null : Math.floor(turn.timestamp / 86_400));
    }
    expect(new Map((await allSessions()).map((session) => [session.id, session]))).toEqual(new Map(currentSessions.map((session) => [session.id, session])));
    expect(await engine.client.getDocument(engine.names.state, 'documents-version')).toMatchObject({ version: DOCUMENTS_VERSION });
    // Trends count turns per day with the engine: the migrated field is filterable and faceted.
    const { facetDistribution } = await engine.client.search(engine.names.turns, { q: '', facets: ['day'], hitsPerPage: 0 });
    expect(Object.values(facetDistribution!.day!).reduce((a, b) => a + b, 0)).toBe(current.filter((t) => t.timestamp !== null).length);
    // Session search finds sessions by their text again, the long one through its turns.
    expect((await engine.client.search(engine.names.sessions, { q: 'zorblax', hitsPerPage: 1 })).totalHits).toBe(0);
    expect((await engine.client.search(engine.names.turns, { q: 'zorblax', filter: 'longSession = true', distinct: 'sessionKey', hitsPerPage: 1 } as never)).totalHits).toBe(1);
  });
});
