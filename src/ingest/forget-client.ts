import type { SessionDocument } from '../engine/documents.js';
import { BadRequestError } from '../errors.js';
import { inScope, type Scope } from '../model.js';
import { SOURCE_NAMES } from '../sources/registry.js';
import { clientFilter, deleteClient, deleteWhere, forgetTasks, type Deleted } from './delete.js';
import type { IngestDeps } from './deps.js';
import type { ForgetEntry } from './forgotten.js';
import { SESSION_LIMITS } from './limits.js';
import { USAGE_FIELDS } from './totals-check.js';
import { withheldEntry, type WithheldSession } from './withheld.js';

export type ForgetResult = {
  externalClientId: string;
  deleted: Deleted;
  /** The forget that stands for this request: the first one made within the caller's scope. */
  forgotten: ForgetEntry;
};

/**
 * `DELETE /v1/clients/{id}` and `transcript-search forget`: records the client as forgotten within the
 * caller's scope, then removes every session and turn of exactly that client id within it, its session
 * ids from the sync checkpoints, and the engine tasks that did the deleting (a deletion task keeps its
 * filter, and so the id, in the engine's task list). The record is written first: from that moment on,
 * sessions of the client arriving while the deletion runs are refused rather than slipping in behind
 * it, and writers that checked just before re-check after writing (intake.ts). The deleted sessions
 * are recorded as withheld, so the next totals check does not count them as missing (withheld.ts).
 *
 * The answer depends only on what lies within the caller's scope: a client never seen there is
 * recorded in advance (its sessions are refused when they arrive), so a scoped key cannot tell "never
 * existed" from "forgotten by someone else", nor see another scope's forget.
 */
export async function forgetClient(deps: IngestDeps, externalClientId: string, options: { scope?: Scope; by: string }): Promise<ForgetResult> {
  const { engine, names } = deps;
  checkClientId(externalClientId);
  const scope = options.scope ?? {};
  const forgotten = await deps.forgotten.record(externalClientId, scope, options.by);
  const sessions: string[] = [];
  const withheld = new Map<string, Map<string, WithheldSession>>();
  const fields = ['sessionId', 'source', 'externalClientId', 'companionId', 'tenantId', ...USAGE_FIELDS] as const;
  for await (const doc of engine.documents<Pick<SessionDocument, (typeof fields)[number]>>(names.sessions, { filter: clientFilter(externalClientId, scope), fields: [...fields] })) {
    // The filter is exact; the documents are checked again before anything is deleted.
    if (doc.externalClientId !== externalClientId || !inScope(doc, scope)) throw new Error(`forget of a client matched a document of another (${doc.sessionId})`);
    sessions.push(doc.sessionId);
    if (!withheld.has(doc.source)) withheld.set(doc.source, new Map());
    withheld.get(doc.source)!.set(doc.sessionId, withheldEntry(doc, doc));
  }
  const { taskUids, ...deleted } = await deleteClient(engine, names, externalClientId, scope);
  await dropFromCheckpoints(deps, new Set(sessions));
  // An incremental sync never lists these again: recorded here, they are not taken for missing from the index.
  for (const [source, add] of withheld) await deps.withheld.update(source, { add, remove: new Set() });
  await forgetTasks(deps, taskUids, "the forget's");
  return { externalClientId, deleted, forgotten };
}

/**
 * A client id the API and CLI accept to forget: the same rules as ids at ingest, and not blank: an
 * empty or all-space id is a shell variable that was not set, not a client anyone means to forget.
 */
export function checkClientId(externalClientId: string): void {
  if (externalClientId.trim() === '') throw new BadRequestError(`CLIENT_ID must not be ${externalClientId === '' ? 'empty' : 'blank'}`);
  if (Buffer.byteLength(externalClientId) > SESSION_LIMITS.idBytes) {
    throw new BadRequestError(`CLIENT_ID is longer than ${SESSION_LIMITS.idBytes} bytes; no session can carry such an id`);
  }
}

/** Removes the given tasks from the engine's task list; a failure leaves them, which is logged, not fatal. */
/** Open sessions are revisited by id on every sync; a forgotten (or expired) one must not be. */
export async function dropFromCheckpoints(deps: IngestDeps, sessionIds: ReadonlySet<string>): Promise<void> {
  if (sessionIds.size === 0) return;
  const store = deps.checkpoints;
  for (const source of SOURCE_NAMES) {
    const status = await store.get(source);
    if (!status) continue;
    const openSessionIds = status.openSessionIds.filter((id) => !sessionIds.has(id));
    const skippedSessions = status.skippedSessions.filter((skipped) => skipped.sessionId === null || !sessionIds.has(skipped.sessionId));
    if (openSessionIds.length === status.openSessionIds.length && skippedSessions.length === status.skippedSessions.length) continue;
    await store.put({ ...status, openSessionIds, skippedSessions });
  }
}

/**
 * For writers, after writing (a sync pass at its end, a push or an import after each batch): a client
 * forgotten while they wrote may have had sessions written after the forget deleted them. Deleting
 * those clients' sessions again closes that window; a forget recorded after this check deletes on its
 * own, after everything the writer wrote.
 */
export async function eraseClientsForgottenSince(deps: IngestDeps, since: string, clients?: ReadonlySet<string>): Promise<void> {
  const records = clients ? (await deps.forgotten.find(clients)).records() : await deps.forgotten.list();
  const taskUids: number[] = [];
  for (const record of records) {
    for (const entry of record.entries) {
      if (entry.forgottenAt >= since) taskUids.push(...(await deleteWhere(deps.engine, deps.names, clientFilter(record.externalClientId, entry.scope))).taskUids);
    }
  }
  await forgetTasks(deps, taskUids, "the forget's");
}
