import { createHash } from 'node:crypto';
import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import type { Session } from '../model.js';
import type { Scope } from '../search/query.js';

/**
 * Forgotten clients: external clients whose data was deleted on request and must not come back. They
 * are documents in the sync-state index, beside the data and checkpoints they govern, so every
 * process writing to these indexes (serve, sync, import) sees the same list and it survives restarts.
 * Every writer asks `filterForgotten` (or a `ForgottenSet` read at the start of a pass) before writing,
 * and refuses what it covers until an operator re-enables the client.
 */
export type ForgottenClient = {
  id: string;
  kind: 'forgotten';
  externalClientId: string;
  /**
   * Null: sessions of this client are refused whatever their companion. A list: only sessions with
   * those companions, because the forget came from an admin key limited to them.
   */
  companions: string[] | null;
  /** When it was last forgotten (a later forget widening the scope moves it). */
  forgottenAt: string;
  /** The API key name, or `cli`. */
  forgottenBy: string;
};

type ClientOwned = Pick<Session, 'externalClientId' | 'companionId'>;

export class ForgottenSet {
  readonly #byClient: Map<string, ForgottenClient>;

  constructor(records: Iterable<ForgottenClient>) {
    this.#byClient = new Map([...records].map((record) => [record.externalClientId, record]));
  }

  covers(session: ClientOwned): boolean {
    if (session.externalClientId === null) return false;
    const record = this.#byClient.get(session.externalClientId);
    return record !== undefined && (record.companions === null || record.companions.includes(session.companionId ?? ''));
  }

  partition<T extends ClientOwned>(sessions: readonly T[]): { kept: T[]; refused: T[] } {
    const kept: T[] = [];
    const refused: T[] = [];
    for (const session of sessions) (this.covers(session) ? refused : kept).push(session);
    return { kept, refused };
  }
}

export class ForgottenClients {
  constructor(
    private readonly engine: EngineClient,
    private readonly names: IndexNames,
  ) {}

  async get(externalClientId: string): Promise<ForgottenClient | undefined> {
    return this.engine.getDocument<ForgottenClient>(this.names.state, forgottenDocumentId(externalClientId));
  }

  /** The records of these clients: one engine call, for a writer's batch. */
  async find(externalClientIds: Iterable<string>): Promise<ForgottenSet> {
    const ids = [...new Set(externalClientIds)].map(forgottenDocumentId);
    if (ids.length === 0) return new ForgottenSet([]);
    const { results } = await this.engine.fetchDocuments<ForgottenClient>(this.names.state, { ids, limit: ids.length });
    return new ForgottenSet(results);
  }

  /** Every record, oldest first: for listing, and for a sync pass, which cannot know its clients ahead. */
  async list(): Promise<ForgottenClient[]> {
    const records: ForgottenClient[] = [];
    const limit = 10_000;
    for (let offset = 0; ; offset += limit) {
      const page = await this.engine.fetchDocuments<ForgottenClient>(this.names.state, { filter: 'kind = "forgotten"', limit, offset });
      records.push(...page.results);
      if (offset + limit >= page.total) break;
    }
    return records.sort((a, b) => a.forgottenAt.localeCompare(b.forgottenAt));
  }

  async all(): Promise<ForgottenSet> {
    return new ForgottenSet(await this.list());
  }

  /**
   * Records the client as forgotten within `scope`, widening an earlier record: scopes add up, and a
   * forget without scope covers every companion. Returns once every writer will see it.
   */
  async record(externalClientId: string, scope: Scope, by: string): Promise<ForgottenClient> {
    const existing = await this.get(externalClientId);
    const companions =
      scope.companions === undefined || (existing !== undefined && existing.companions === null)
        ? null
        : [...new Set([...(existing?.companions ?? []), ...scope.companions])];
    const record: ForgottenClient = {
      id: forgottenDocumentId(externalClientId),
      kind: 'forgotten',
      externalClientId,
      companions,
      forgottenAt: new Date().toISOString(),
      forgottenBy: by,
    };
    const task = await this.engine.enqueue('POST', `/indexes/${encodeURIComponent(this.names.state)}/documents`, { body: [record] });
    await this.engine.waitForTask(task);
    return record;
  }

  /** Re-enables the client: writers accept its sessions again. Undefined when it was not forgotten. */
  async remove(externalClientId: string): Promise<ForgottenClient | undefined> {
    const existing = await this.get(externalClientId);
    if (!existing) return undefined;
    const task = await this.engine.enqueue('DELETE', `/indexes/${encodeURIComponent(this.names.state)}/documents/${existing.id}`);
    await this.engine.waitForTask(task);
    return existing;
  }
}

/** Client ids may hold any character; document ids may not, so the id is a hash. */
function forgottenDocumentId(externalClientId: string): string {
  return `forgotten-${createHash('sha256').update(externalClientId).digest('hex')}`;
}

/** For writers given a batch (push, import): which sessions they may write, and which to refuse. */
export async function filterForgotten<T extends ClientOwned>(
  engine: EngineClient,
  names: IndexNames,
  sessions: readonly T[],
): Promise<{ kept: T[]; refused: T[] }> {
  const clients = sessions.flatMap((session) => (session.externalClientId === null ? [] : [session.externalClientId]));
  const forgotten = await new ForgottenClients(engine, names).find(clients);
  return forgotten.partition(sessions);
}

export function refusalReason(externalClientId: string | null): string {
  return `client '${(externalClientId ?? '').slice(0, 100)}' was forgotten; its sessions are refused until an operator re-enables it`;
}
