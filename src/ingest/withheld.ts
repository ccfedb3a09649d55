import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import type { ScopeOwner, Session } from '../model.js';
import type { ForgottenSet } from './forgotten.js';
import { sumTotals, USAGE_FIELDS, type Totals, type UsageField } from './totals-check.js';

/*
 * Sessions a source still lists that the service withholds on purpose: their client is forgotten, so a
 * forget deleted them and sync refuses them. The totals check compares the source's totals with what
 * the index holds plus these; without them every forget would read as a difference from the source.
 *
 * Kept per source as one document in the sync-state index, recorded by the forget (the sessions it
 * deleted: an incremental pass never lists them again) and by sync passes (the sessions they refused).
 * Each entry keeps the session's owner, so once its client is re-enabled the next pass fetches it again
 * and it counts as withheld no longer; and its usage, so the vendor's usage totals add up too. The
 * session ids stay beside the client id the forgotten-clients record keeps; no text does.
 */

export type WithheldSession = ScopeOwner & Record<UsageField, number>;

/** What a forget or a pass changes, applied to what is stored when it writes (both may write meanwhile). */
export type WithheldChanges = { add: ReadonlyMap<string, WithheldSession>; remove: ReadonlySet<string> };

type WithheldDocument = { id: string; kind: 'withheld'; source: string; sessions: Array<WithheldSession & { sessionId: string }> };

/** A session document's owner and usage, or a session's (its usage under `usage`). */
export function withheldEntry(owner: ScopeOwner, usage: Partial<Record<UsageField, number | null>>): WithheldSession {
  const entry = { companionId: owner.companionId, tenantId: owner.tenantId, externalClientId: owner.externalClientId } as WithheldSession;
  for (const field of USAGE_FIELDS) entry[field] = usage[field] ?? 0;
  return entry;
}

export function withheldSession(session: Session): WithheldSession {
  return withheldEntry(session, session.usage);
}

/** The sessions still withheld: those of clients forgotten now (a re-enabled client's are fetched again). */
export function withheldTotals(sessions: ReadonlyMap<string, WithheldSession>, forgotten: ForgottenSet): Totals {
  return sumTotals([...sessions.values()].filter((session) => forgotten.covers(session)));
}

export class WithheldSessions {
  constructor(
    private readonly engine: EngineClient,
    private readonly names: IndexNames,
  ) {}

  async get(source: string): Promise<Map<string, WithheldSession>> {
    const stored = await this.engine.getDocument<WithheldDocument>(this.names.state, withheldDocumentId(source));
    return new Map((stored?.sessions ?? []).map(({ sessionId, ...session }) => [sessionId, session]));
  }

  /** Applies the changes to what is stored now, and returns the result once every reader will see it. */
  async update(source: string, changes: WithheldChanges): Promise<Map<string, WithheldSession>> {
    const sessions = await this.get(source);
    if (changes.add.size === 0 && changes.remove.size === 0) return sessions;
    for (const sessionId of changes.remove) sessions.delete(sessionId);
    for (const [sessionId, session] of changes.add) sessions.set(sessionId, session);
    const document: WithheldDocument = {
      id: withheldDocumentId(source),
      kind: 'withheld',
      source,
      sessions: [...sessions].map(([sessionId, session]) => ({ sessionId, ...session })),
    };
    await this.engine.waitForTask(await this.engine.addDocuments(this.names.state, [document]));
    return sessions;
  }
}

function withheldDocumentId(source: string): string {
  return `withheld-${source}`;
}
