import { documentKey, type SessionDocument } from '../engine/documents.js';
import { errorMessage } from '../errors.js';
import { inScope, type Scope, type Session } from '../model.js';
import type { RedactionCounts } from '../redact/kinds.js';
import { parseVendorSession } from '../sources/detect.js';
import type { IngestDeps } from './deps.js';
import { eraseClientsForgottenSince } from './forget-client.js';
import { refusalReason } from './forgotten.js';
import { writeSessions } from './index-writer.js';
import { SessionTooLargeError, checkSessionLimits } from './limits.js';
import { retentionCutoff } from './retention.js';

/*
 * The one way in for sessions someone hands us (`POST /v1/sessions`, `transcript-search import`):
 * every record is parsed (either vendor shape), held to the size limits, checked against the caller's
 * scope, and against what the index already holds under its id (a session outside the scope is not
 * there, for this caller: it can be neither read nor overwritten), then the sessions of forgotten
 * clients, and sessions older than RETENTION_DAYS, are refused and the rest written (redacted by the
 * `prepare` hook). After writing, clients forgotten meanwhile are erased again, so a forget racing a
 * write never leaves the client searchable. Refusal messages go through the redactor: a parse error
 * may quote the record.
 */

/** Why a record was not written; `not_found` is what a read of that session would answer. */
export type RefusalReason = 'invalid' | 'too_large' | 'scope' | 'not_found' | 'duplicate' | 'forgotten' | 'expired';
export type Refusal<O> = { origin: O; reason: RefusalReason; error: string };
/** `redactions`: per kind, in what was written. */
export type IntakeResult<O> = { sessions: number; turns: number; redactions: RedactionCounts; refused: Array<Refusal<O>> };

/** Forgets are re-checked from this long before a write started: clocks of two hosts may differ. */
const CLOCK_SKEW_MS = 5 * 60_000;

export async function intakeRecords<O>(
  deps: IngestDeps,
  items: ReadonlyArray<{ record: unknown; origin: O }>,
  options: {
    scope: Scope;
    wait: boolean;
    /** A session given twice: refused (a push must say which record it wrote), or the later one wins (files, read in order). */
    duplicates: 'refuse' | 'last';
  },
): Promise<IntakeResult<O>> {
  const started = new Date(Date.now() - CLOCK_SKEW_MS).toISOString();
  const refused: Array<Refusal<O>> = [];
  const cutoff = retentionCutoff(deps.retentionDays);
  const byId = new Map<string, { session: Session; origin: O }>();
  for (const { record, origin } of items) {
    let session: Session;
    try {
      session = parseVendorSession(record);
      checkSessionLimits(session);
    } catch (error) {
      refused.push({ origin, reason: error instanceof SessionTooLargeError ? 'too_large' : 'invalid', error: deps.redactor.redact(errorMessage(error)) });
      continue;
    }
    if (session.createdAt < cutoff) {
      refused.push({ origin, reason: 'expired', error: `session ${session.sessionId.slice(0, 100)} was created more than RETENTION_DAYS (${deps.retentionDays}) days ago` });
    } else if (!inScope(session, options.scope)) {
      refused.push({ origin, reason: 'scope', error: "its companion, tenant or client is outside this key's scope" });
    } else if (byId.has(session.sessionId) && options.duplicates === 'refuse') {
      refused.push({ origin, reason: 'duplicate', error: `session ${session.sessionId.slice(0, 100)} appears twice in this request` });
    } else {
      // Deleted first, so a later record of the same session also moves to the end of the order.
      byId.delete(session.sessionId);
      byId.set(session.sessionId, { session, origin });
    }
  }
  const parsed = [...byId.values()];

  // A session already indexed under this id but outside the scope: the caller may not see it, so it
  // may not replace it either (that would move it into the caller's scope).
  const foreign = await sessionsOutside(deps, parsed.map(({ session }) => session.sessionId), options.scope);
  const owned = parsed.filter(({ session, origin }) => {
    if (!foreign.has(session.sessionId)) return true;
    refused.push({ origin, reason: 'not_found', error: `No session '${session.sessionId.slice(0, 100)}'` });
    return false;
  });

  const sessions = owned.map(({ session }) => session);
  const { kept, refused: forgotten } = (await deps.forgotten.find(sessions.flatMap((session) => session.externalClientId ?? []))).partition(sessions);
  const originOf = new Map(owned.map(({ session, origin }) => [session, origin]));
  for (const session of forgotten) refused.push({ origin: originOf.get(session)!, reason: 'forgotten', error: refusalReason(session.externalClientId) });

  let written: { sessions: number; turns: number; redactions: RedactionCounts } = { sessions: 0, turns: 0, redactions: {} };
  if (kept.length > 0) {
    written = await writeSessions(deps, kept, { wait: options.wait });
    const clients = new Set(kept.flatMap((session) => (session.externalClientId === null ? [] : [session.externalClientId])));
    if (clients.size > 0) await eraseClientsForgottenSince(deps, started, clients);
  }
  return { ...written, refused };
}

/** Of these session ids, the ones the index holds outside the scope (compared exactly, by document id). */
async function sessionsOutside(deps: Pick<IngestDeps, 'engine' | 'names'>, sessionIds: string[], scope: Scope): Promise<Set<string>> {
  const outside = new Set<string>();
  for (let i = 0; i < sessionIds.length; i += 1_000) {
    const chunk = sessionIds.slice(i, i + 1_000);
    const { results } = await deps.engine.fetchDocuments<Pick<SessionDocument, 'sessionId' | 'companionId' | 'tenantId' | 'externalClientId'>>(deps.names.sessions, {
      ids: chunk.map(documentKey),
      fields: ['sessionId', 'companionId', 'tenantId', 'externalClientId'],
      limit: chunk.length,
    });
    const wanted = new Set(chunk);
    for (const doc of results) if (wanted.has(doc.sessionId) && !inScope(doc, scope)) outside.add(doc.sessionId);
  }
  return outside;
}
