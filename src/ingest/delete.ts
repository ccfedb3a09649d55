import type { EngineClient } from '../engine/client.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { IndexNames } from '../engine/indexes.js';
import { allOf, keyedAnyOf, scopeClauses } from '../engine/filter.js';
import type { Scope } from '../model.js';

export type Deleted = { sessions: number; turns: number };

/**
 * Deletes the sessions and turns an exact filter matches (one on the keys every index carries), and
 * the records of the state index holding their words (tracker matches and webhook deliveries carry
 * the same keys), waits until the deletion is visible, and returns how many sessions and turns went
 * and the engine tasks that did it.
 */
export async function deleteWhere(engine: EngineClient, names: IndexNames, filter: string): Promise<Deleted & { taskUids: number[] }> {
  const taskUids = await Promise.all([
    engine.deleteDocumentsByFilter(names.turns, filter),
    engine.deleteDocumentsByFilter(names.sessions, filter),
    engine.deleteDocumentsByFilter(names.state, filter),
  ]);
  const [turns, sessions] = await Promise.all(taskUids.map((task) => engine.waitForTask(task)));
  const deleted = (task: typeof turns) => Number(task?.details?.deletedDocuments ?? 0);
  return { sessions: deleted(sessions), turns: deleted(turns), taskUids };
}

/**
 * Removes deletion tasks from the engine's task list, where their filters name whose data went
 * (`whose` says whose tasks they are in the warning when the engine refuses).
 */
export async function forgetTasks(deps: { engine: EngineClient; log: Logger }, taskUids: number[], whose: string): Promise<void> {
  try {
    await deps.engine.deleteTasks(taskUids);
  } catch (error) {
    deps.log.warn(`could not remove ${whose} tasks from the engine task list`, { error: errorMessage(error) });
  }
}

/** One session and its turns, by the exact key of its id. The caller has checked it is in scope. */
export function deleteSession(engine: EngineClient, names: IndexNames, sessionId: string) {
  return deleteWhere(engine, names, keyedAnyOf('sessionId', [sessionId]));
}

/** Every session and turn of one external client (exactly that id) within a scope. */
export function clientFilter(externalClientId: string, scope: Scope): string {
  return allOf([keyedAnyOf('externalClientId', [externalClientId]), ...scopeClauses(scope)])!;
}

export function deleteClient(engine: EngineClient, names: IndexNames, externalClientId: string, scope: Scope = {}) {
  return deleteWhere(engine, names, clientFilter(externalClientId, scope));
}
