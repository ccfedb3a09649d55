import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { allOf, anyOf } from '../search/filter.js';
import type { Scope } from '../search/query.js';

/**
 * Deletes sessions and their turns matching a filter on fields both indexes carry, and waits until
 * the deletion is visible. Returns how many sessions and turns were removed.
 */
async function deleteWhere(engine: EngineClient, names: IndexNames, filter: string): Promise<{ sessions: number; turns: number }> {
  const tasks = await Promise.all([
    engine.deleteDocumentsByFilter(names.turns, filter),
    engine.deleteDocumentsByFilter(names.sessions, filter),
  ]);
  const [turns, sessions] = await Promise.all(tasks.map((task) => engine.waitForTask(task)));
  const deleted = (task: typeof turns) => Number(task?.details?.deletedDocuments ?? 0);
  return { sessions: deleted(sessions), turns: deleted(turns) };
}

function scoped(filter: string, scope: Scope): string {
  return allOf([filter, scope.companions ? anyOf('companionId', [...scope.companions]) : undefined])!;
}

export function deleteSession(engine: EngineClient, names: IndexNames, sessionId: string, scope: Scope = {}) {
  return deleteWhere(engine, names, scoped(anyOf('sessionId', [sessionId]), scope));
}

export function deleteClient(engine: EngineClient, names: IndexNames, externalClientId: string, scope: Scope = {}) {
  return deleteWhere(engine, names, scoped(anyOf('externalClientId', [externalClientId]), scope));
}
