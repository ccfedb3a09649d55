import type { Logger } from '../logger.js';
import type { EngineClient } from './client.js';
import { keysAnyOf } from './filter.js';
import { dayOf, sessionText, type TurnDocument } from './documents.js';

/** The indexes a migration touches (indexes.ts runs the migrations, so their names come as a plain shape). */
type IndexNames = { turns: string; sessions: string; state: string };

/*
 * Documents written by an earlier version are brought to the current shape in place when a command
 * opens the engine, so an upgrade never needs a re-sync. The version reached is a record in the state
 * index; each step is idempotent and resumes where a crash left it.
 */

export const DOCUMENTS_VERSION = 3;

const VERSION_ID = 'documents-version';

type Step = (client: EngineClient, names: IndexNames, log?: Logger) => Promise<void>;

/** Step n brings version n − 1 to n. */
const STEPS: Record<number, Step> = {
  2: addTurnDays,
  3: addSessionText,
};

export async function migrateDocuments(client: EngineClient, names: IndexNames, log?: Logger): Promise<void> {
  const stored = await client.getDocument<{ version: number }>(names.state, VERSION_ID);
  const from = stored?.version ?? 1;
  if (from >= DOCUMENTS_VERSION) return;
  // An empty index holds nothing to bring forward: every document it will get has the current shape.
  if (stored !== undefined || (await client.documentCount(names.turns)) > 0) {
    for (let version = from + 1; version <= DOCUMENTS_VERSION; version++) {
      log?.info('bringing indexed documents to the current shape', { from: version - 1, to: version });
      await STEPS[version]!(client, names, log);
    }
  }
  await client.waitForTask(await client.addDocuments(names.state, [{ id: VERSION_ID, kind: 'documents-version', version: DOCUMENTS_VERSION }]));
}

/** Version 2: turns carry `day` (trends count it as a facet); partial updates add it, 10,000 at a time. */
async function addTurnDays(client: EngineClient, names: IndexNames, log?: Logger): Promise<void> {
  let done = 0;
  for (;;) {
    const { results } = await client.fetchDocuments<{ id: string; timestamp: number | null }>(names.turns, {
      filter: 'day NOT EXISTS',
      fields: ['id', 'timestamp'],
      limit: 10_000,
    });
    if (results.length === 0) break;
    await client.waitForTask(await client.updateDocuments(names.turns, results.map((doc) => ({ id: doc.id, day: dayOf(doc.timestamp) }))));
    done += results.length;
  }
  log?.info('turns now carry their day', { turns: done });
}

/**
 * Version 3: session documents hold what each side said (session search matches them), and the turns
 * of a session too long for that say so. Sessions without `textComplete` are done 200 at a time, from
 * their turns.
 */
async function addSessionText(client: EngineClient, names: IndexNames, log?: Logger): Promise<void> {
  let done = 0;
  for (;;) {
    const { results: sessions } = await client.fetchDocuments<{ id: string; sessionKey: string }>(names.sessions, {
      filter: 'textComplete NOT EXISTS',
      fields: ['id', 'sessionKey'],
      limit: 200,
    });
    if (sessions.length === 0) break;
    const turns = new Map<string, Array<Pick<TurnDocument, 'id' | 'role' | 'text' | 'turnIndex'>>>(sessions.map((session) => [session.sessionKey, []]));
    const filter = keysAnyOf('sessionId', sessions.map((session) => session.sessionKey));
    for await (const turn of client.documents<Pick<TurnDocument, 'id' | 'sessionKey' | 'role' | 'text' | 'turnIndex'>>(names.turns, { filter, fields: ['id', 'sessionKey', 'role', 'text', 'turnIndex'] })) {
      turns.get(turn.sessionKey)?.push(turn);
    }
    const sessionUpdates = [];
    const longTurns = [];
    for (const session of sessions) {
      const ordered = turns.get(session.sessionKey)!.sort((a, b) => a.turnIndex - b.turnIndex);
      const text = sessionText(ordered);
      sessionUpdates.push({ id: session.id, ...text });
      if (!text.textComplete) longTurns.push(...ordered.map((turn) => ({ id: turn.id, longSession: true })));
    }
    // Turns first: the engine runs tasks in order, so a session is never marked done before its turns.
    const tasks = longTurns.length > 0 ? [await client.updateDocuments(names.turns, longTurns)] : [];
    tasks.push(await client.updateDocuments(names.sessions, sessionUpdates));
    await client.waitForTasks(tasks);
    done += sessions.length;
  }
  log?.info('session documents now hold their text', { sessions: done });
}
