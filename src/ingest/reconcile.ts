import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { keyedAnyOf, quote } from '../engine/filter.js';

/** Ids of the source's indexed sessions that a complete listing did not include. */
export async function indexedSessionsNotIn(engine: EngineClient, names: IndexNames, source: string, listed: ReadonlySet<string>): Promise<string[]> {
  const unlisted: string[] = [];
  for await (const doc of engine.documents<{ sessionId: string }>(names.sessions, { filter: `source = ${quote(source)}`, fields: ['sessionId'] })) {
    if (!listed.has(doc.sessionId)) unlisted.push(doc.sessionId);
  }
  return unlisted;
}

/** Removes these sessions and their turns; returns how many session documents were deleted. */
export async function deleteSessionsById(engine: EngineClient, names: IndexNames, sessionIds: readonly string[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < sessionIds.length; i += 500) {
    const filter = keyedAnyOf('sessionId', sessionIds.slice(i, i + 500));
    const turns = await engine.deleteDocumentsByFilter(names.turns, filter);
    const sessions = await engine.deleteDocumentsByFilter(names.sessions, filter);
    await engine.waitForTask(turns);
    deleted += Number((await engine.waitForTask(sessions)).details?.deletedDocuments ?? 0);
  }
  return deleted;
}
