import { createHash } from 'node:crypto';
import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { inScope, type Scope, type ScopeOwner } from '../model.js';

/*
 * Forgotten clients: external clients whose data was deleted on request and must not come back. They
 * are documents in the sync-state index, beside the data and checkpoints they govern, so every process
 * writing to these indexes (serve, sync, import) sees the same list and it survives restarts. Every
 * writer asks `filterForgotten` (or a `ForgottenSet` read at the start of a pass) before writing, and
 * refuses what it covers until an operator re-enables the client. The client id is compared exactly:
 * `USER_01117` is another person than `user_01117` and is neither refused nor deleted with it.
 */

/** One forget: by whom, when, and within which scope (the scope of the key that asked; `{}` is everywhere). */
export type ForgetEntry = { scope: Scope; forgottenAt: string; forgottenBy: string };

export type ForgottenClient = {
  id: string;
  kind: 'forgotten';
  externalClientId: string;
  /** Every forget of the client, first first; an entry is never rewritten, a second forget within the same scope keeps the first. */
  entries: ForgetEntry[];
};

/** Written by versions that knew only companion scopes: `{companions: [...] | null, forgottenAt, forgottenBy}`. */
type StoredRecord = ForgottenClient | (Omit<ForgottenClient, 'entries'> & { companions: string[] | null; forgottenAt: string; forgottenBy: string });

function upgraded(stored: StoredRecord): ForgottenClient {
  if ('entries' in stored) return stored;
  const { companions, forgottenAt, forgottenBy, ...rest } = stored;
  return { ...rest, entries: [{ scope: companions === null ? {} : { companions }, forgottenAt, forgottenBy }] };
}

/** Scopes compare by content, in any order of their lists. */
function sameScope(a: Scope, b: Scope): boolean {
  const norm = (scope: Scope) => JSON.stringify([scope.companions, scope.tenants, scope.externalClients].map((list) => (list ? [...new Set(list)].sort() : null)));
  return norm(a) === norm(b);
}

type ClientOwned = ScopeOwner;

export class ForgottenSet {
  readonly #byClient: Map<string, ForgottenClient>;

  constructor(records: Iterable<ForgottenClient>) {
    this.#byClient = new Map([...records].map((record) => [record.externalClientId, record]));
  }

  covers(session: ClientOwned): boolean {
    if (session.externalClientId === null) return false;
    const record = this.#byClient.get(session.externalClientId);
    return record !== undefined && record.entries.some((entry) => inScope(session, entry.scope));
  }

  records(): ForgottenClient[] {
    return [...this.#byClient.values()];
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
    const stored = await this.engine.getDocument<StoredRecord>(this.names.state, forgottenDocumentId(externalClientId));
    // The document id is a hash of the client id; the id itself is compared too.
    return stored && stored.externalClientId === externalClientId ? upgraded(stored) : undefined;
  }

  /** The records of these clients: one engine call, for a writer's batch. */
  async find(externalClientIds: Iterable<string>): Promise<ForgottenSet> {
    const ids = [...new Set(externalClientIds)].map(forgottenDocumentId);
    if (ids.length === 0) return new ForgottenSet([]);
    const { results } = await this.engine.fetchDocuments<StoredRecord>(this.names.state, { ids, limit: ids.length });
    return new ForgottenSet(results.map(upgraded));
  }

  /** Every record, oldest first: for listing, and for a sync pass, which cannot know its clients ahead. */
  async list(): Promise<ForgottenClient[]> {
    const records: ForgottenClient[] = [];
    for await (const stored of this.engine.documents<StoredRecord>(this.names.state, { filter: 'kind = "forgotten"' })) records.push(upgraded(stored));
    return records.sort((a, b) => a.entries[0]!.forgottenAt.localeCompare(b.entries[0]!.forgottenAt));
  }

  async all(): Promise<ForgottenSet> {
    return new ForgottenSet(await this.list());
  }

  /**
   * Records a forget of the client within `scope`, and returns the entry that stands for it: a new
   * one, or the first forget made within the same scope, kept as it was (its date and author are an
   * audit record). Returns once every writer will see it.
   */
  async record(externalClientId: string, scope: Scope, by: string): Promise<ForgetEntry> {
    const existing = await this.get(externalClientId);
    const same = existing?.entries.find((entry) => sameScope(entry.scope, scope));
    if (same) return same;
    const entry: ForgetEntry = { scope, forgottenAt: new Date().toISOString(), forgottenBy: by };
    const record: ForgottenClient = {
      id: forgottenDocumentId(externalClientId),
      kind: 'forgotten',
      externalClientId,
      entries: [...(existing?.entries ?? []), entry],
    };
    await this.engine.waitForTask(await this.engine.addDocuments(this.names.state, [record]));
    return entry;
  }

  /** Re-enables the client: writers accept its sessions again. Undefined when it was not forgotten. */
  async remove(externalClientId: string): Promise<ForgottenClient | undefined> {
    const existing = await this.get(externalClientId);
    if (!existing) return undefined;
    await this.engine.waitForTask(await this.engine.deleteDocument(this.names.state, existing.id));
    return existing;
  }
}

/** Client ids may hold any character; document ids may not, so the id is a hash. */
function forgottenDocumentId(externalClientId: string): string {
  return `forgotten-${createHash('sha256').update(externalClientId).digest('hex')}`;
}

export function refusalReason(externalClientId: string | null): string {
  return `client '${(externalClientId ?? '').slice(0, 100)}' was forgotten; its sessions are refused until an operator re-enables it`;
}
