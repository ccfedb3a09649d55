import type { Logger } from '../logger.js';
import type { EngineClient } from './client.js';
import { dayOf } from './documents.js';

/** The indexes a migration touches (indexes.ts runs the migrations, so their names come as a plain shape). */
type IndexNames = { turns: string; state: string };

/*
 * Documents written by an earlier version are brought to the current shape in place when a command
 * opens the engine, so an upgrade never needs a re-sync. The version reached is a record in the state
 * index; each step is idempotent and resumes where a crash left it.
 */

export const DOCUMENTS_VERSION = 2;

const VERSION_ID = 'documents-version';

type Step = (client: EngineClient, names: IndexNames, log?: Logger) => Promise<void>;

/** Step n brings version n − 1 to n. */
const STEPS: Record<number, Step> = {
  2: addTurnDays,
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
