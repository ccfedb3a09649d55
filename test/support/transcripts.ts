import { expect } from 'vitest';
import { quote } from '../../src/engine/filter.js';
import type { AgentRecord } from './agents-upstream.js';
import type { TestEngine } from './engine.js';

/**
 * Transcripts as `sessionId → ["role: text", …]` in turn order, read from the index or from vendor
 * records, so a test can assert that the index holds exactly what the upstream holds: same sessions,
 * same turns, no more, no fewer.
 */
export type Transcripts = Record<string, string[]>;

type TurnDoc = { sessionId: string; turnIndex: number; role: string; text: string };

async function fetchAll<T>(engine: Pick<TestEngine, 'client'>, index: string, fields: string[], filter?: string): Promise<T[]> {
  const all: T[] = [];
  for await (const doc of engine.client.documents<T>(index, { fields, filter })) all.push(doc);
  return all;
}

/** The index's transcripts of one source (or all), with every indexed session present even if empty. */
export async function indexedTranscripts(engine: Pick<TestEngine, 'client' | 'names'>, source?: 'napster' | 'agents'): Promise<Transcripts> {
  const filter = source ? `source = ${quote(source)}` : undefined;
  const sessions = await fetchAll<{ sessionId: string }>(engine, engine.names.sessions, ['sessionId'], filter);
  const turns = await fetchAll<TurnDoc>(engine, engine.names.turns, ['sessionId', 'turnIndex', 'role', 'text'], filter);
  const byId: Record<string, TurnDoc[]> = {};
  for (const { sessionId } of sessions) byId[sessionId] = [];
  for (const turn of turns) (byId[turn.sessionId] ??= []).push(turn);
  const transcripts: Transcripts = {};
  for (const [sessionId, list] of Object.entries(byId)) {
    list.sort((a, b) => a.turnIndex - b.turnIndex);
    // A turn whose session document is missing, or a gap in the indexes, shows up in the comparison.
    transcripts[sessionId] = list.map((turn, position) => (turn.turnIndex === position ? `${turn.role}: ${turn.text}` : `#${turn.turnIndex} ${turn.role}: ${turn.text}`));
  }
  return transcripts;
}

export function agentTranscripts(records: Iterable<AgentRecord>): Transcripts {
  const transcripts: Transcripts = {};
  for (const record of records) {
    const turns = [...(record.transcript as Array<{ role: string; text: string; turn_index: number }>)].sort((a, b) => a.turn_index - b.turn_index);
    transcripts[record.session_id as string] = turns.map((turn) => `${turn.role === 'assistant' ? 'agent' : turn.role}: ${turn.text}`);
  }
  return transcripts;
}

export function napsterTranscripts(records: Iterable<{ id: string; conversation?: unknown }>): Transcripts {
  const transcripts: Transcripts = {};
  for (const record of records) {
    const items = (record.conversation as { items: Array<{ role: string; text: string }> }).items;
    transcripts[record.id] = items.map((item) => `${item.role}: ${item.text}`);
  }
  return transcripts;
}

export function turnTotal(transcripts: Transcripts): number {
  return Object.values(transcripts).reduce((sum, turns) => sum + turns.length, 0);
}

/** The index holds exactly these transcripts: every session with its session document, every turn once. */
export async function expectIndexHolds(engine: Pick<TestEngine, 'client' | 'names'>, expected: Transcripts): Promise<void> {
  expect(await indexedTranscripts(engine)).toEqual(expected);
  expect(await engine.client.documentCount(engine.names.sessions)).toBe(Object.keys(expected).length);
  expect(await engine.client.documentCount(engine.names.turns)).toBe(turnTotal(expected));
}
