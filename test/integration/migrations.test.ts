import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnDocument } from '../../src/engine/documents.js';
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

async function allTurns(): Promise<TurnDocument[]> {
  const turns: TurnDocument[] = [];
  for await (const doc of engine.client.documents<TurnDocument>(engine.names.turns, {})) turns.push(doc);
  return turns;
}

describe('migrations', () => {
  it('marks a new, empty deployment as current without touching anything', async () => {
    expect(await engine.client.getDocument(engine.names.state, 'documents-version')).toMatchObject({ version: DOCUMENTS_VERSION });
  });

  it('gives turns written before trends their UTC day, keeping every other field, and records the version', async () => {
    const sessions = (await loadCorpus<NapsterCorpusRecord>(NAPSTER_CORPUS, 300)).map(parseVendorSession);
    await writeSessions(engine.ingest, sessions, { wait: true });
    const current = await allTurns();
    // What version 1 wrote: the same documents without `day` (a full replacement drops the field).
    const old = current.map(({ day: _day, ...rest }) => rest);
    await engine.client.waitForTask(await engine.client.addDocuments(engine.names.turns, old));
    await engine.client.waitForTask(await engine.client.deleteDocument(engine.names.state, 'documents-version'));
    expect((await allTurns()).every((turn) => !('day' in turn))).toBe(true);

    await ensureIndexes(engine.client, engine.names);

    const migrated = new Map((await allTurns()).map((turn) => [turn.id, turn]));
    expect(migrated.size).toBe(current.length);
    for (const turn of current) {
      expect(migrated.get(turn.id)).toEqual(turn);
      expect(turn.day).toBe(turn.timestamp === null ? null : Math.floor(turn.timestamp / 86_400));
    }
    expect(await engine.client.getDocument(engine.names.state, 'documents-version')).toMatchObject({ version: DOCUMENTS_VERSION });
    // Trends count turns per day with the engine: the migrated field is filterable and faceted.
    const { facetDistribution } = await engine.client.search(engine.names.turns, { q: '', facets: ['day'], hitsPerPage: 0 });
    expect(Object.values(facetDistribution!.day!).reduce((a, b) => a + b, 0)).toBe(current.filter((t) => t.timestamp !== null).length);
  });
});
