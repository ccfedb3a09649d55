import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { SourceKind } from '../model.js';
import { allOf, anyOf } from '../search/filter.js';
import type { Scope } from '../search/query.js';
import { deleteClient } from './delete.js';
import { ForgottenClients, type ForgottenClient } from './forgotten.js';
import { SyncStateStore } from './sync-state.js';

export type ForgetResult = {
  externalClientId: string;
  deleted: { sessions: number; turns: number };
  forgotten: ForgottenClient;
};

/**
 * `DELETE /v1/clients/{id}` and `transcript-search forget`: removes every session and turn of the
 * client (within the caller's scope) and its session ids from the sync checkpoints, and records it as
 * forgotten so no writer brings it back. The record is written first: from that moment on, sessions of
 * the client arriving while the deletion runs are refused rather than slipping in behind it.
 *
 * `onlyIfKnown` (the API): when there is nothing of the client in scope and it is not forgotten there
 * already, nothing is recorded and the answer is undefined, a 404 like any unknown resource.
 */
export async function forgetClient(
  engine: EngineClient,
  names: IndexNames,
  externalClientId: string,
  options: { scope?: Scope; by: string; onlyIfKnown?: boolean },
): Promise<ForgetResult | undefined> {
  const scope = options.scope ?? {};
  const store = new ForgottenClients(engine, names);
  const sessionIds = await clientSessionIds(engine, names, externalClientId, scope);
  if (options.onlyIfKnown && sessionIds.length === 0 && !forgottenWithin(await store.get(externalClientId), scope)) return undefined;
  const forgotten = await store.record(externalClientId, scope, options.by);
  const deleted = await deleteClient(engine, names, externalClientId, scope);
  await dropFromCheckpoints(engine, names, new Set(sessionIds));
  return { externalClientId, deleted, forgotten };
}

function forgottenWithin(record: ForgottenClient | undefined, scope: Scope): boolean {
  if (!record) return false;
  if (record.companions === null || !scope.companions) return true;
  return record.companions.some((companion) => scope.companions!.includes(companion));
}

async function clientSessionIds(engine: EngineClient, names: IndexNames, externalClientId: string, scope: Scope): Promise<string[]> {
  const filter = allOf([anyOf('externalClientId', [externalClientId]), scope.companions ? anyOf('companionId', scope.companions) : undefined]);
  const ids: string[] = [];
  const limit = 10_000;
  for (let offset = 0; ; offset += limit) {
    const page = await engine.fetchDocuments<{ sessionId: string }>(names.sessions, { filter, fields: ['sessionId'], limit, offset });
    ids.push(...page.results.map((doc) => doc.sessionId));
    if (offset + limit >= page.total) break;
  }
  return ids;
}

/** Open sessions are revisited by id on every sync; a forgotten one must not be. */
async function dropFromCheckpoints(engine: EngineClient, names: IndexNames, sessionIds: ReadonlySet<string>): Promise<void> {
  if (sessionIds.size === 0) return;
  const store = new SyncStateStore(engine, names);
  for (const source of SourceKind.options) {
    const status = await store.get(source);
    if (!status) continue;
    const openSessionIds = status.openSessionIds.filter((id) => !sessionIds.has(id));
    const skippedSessions = status.skippedSessions.filter((skipped) => skipped.sessionId === null || !sessionIds.has(skipped.sessionId));
    if (openSessionIds.length === status.openSessionIds.length && skippedSessions.length === status.skippedSessions.length) continue;
    await store.put({ ...status, openSessionIds, skippedSessions });
  }
}

/**
 * For a sync pass, at its end: a client forgotten while the pass ran may have had sessions written by
 * the pass after the forget deleted them. Deleting those clients' sessions again closes that window;
 * a forget recorded after this check deletes on its own, after everything the pass wrote.
 */
export async function eraseClientsForgottenSince(engine: EngineClient, names: IndexNames, since: string): Promise<void> {
  for (const record of await new ForgottenClients(engine, names).list()) {
    if (record.forgottenAt >= since) await deleteClient(engine, names, record.externalClientId, { companions: record.companions ?? undefined });
  }
}
