import type { EngineClient } from '../engine/client.js';
import type { SessionDocument } from '../engine/documents.js';
import type { IndexNames } from '../engine/indexes.js';
import type { Logger } from '../logger.js';
import type { Session } from '../model.js';
import type { RedactionCounts } from '../redact/kinds.js';
import { Redactor } from '../redact/redactor.js';
import { redactSession } from '../redact/session.js';
import { ForgottenClients } from './forgotten.js';
import { SyncStateStore } from './sync-state.js';
import { WithheldSessions } from './withheld.js';

/** What a checkpoint (or a hook) needs of each indexed session; the documents themselves are not kept. */
export type IndexedSession = Pick<SessionDocument, 'sessionId' | 'createdAt' | 'inProgress' | 'turnCount'>;

/**
 * A batch of documents about to be queued: its `arrival` stamp (on every turn of it), its sessions,
 * and how many turns of each the index held before (sessions it did not hold are absent).
 */
export type ArrivingBatch = { arrival: number; sessions: readonly IndexedSession[]; priorTurns: ReadonlyMap<string, number> };

/** A session as `prepare` lets it be written, and what was redacted from it, per kind. */
export type PreparedSession = { session: Session; redactions: RedactionCounts };

/**
 * Where features hook into every way sessions come in (sync, push, import): `prepare` sees each
 * session before it is written and returns what to write instead (redaction). `arriving` is told of
 * each batch just before its documents are queued, and `queued` just after, with their tasks; both
 * return the tasks they queued themselves, which the batch then waits for too, and the engine runs
 * tasks in the order queued (trackers note the arrival durably before its documents can be seen).
 * `searchable` is told, batch by batch and in order, which sessions have become searchable.
 */
export type IngestHooks = {
  prepare?(session: Session): PreparedSession;
  arriving?(batch: ArrivingBatch): Promise<number[]>;
  queued?(arrival: number, tasks: readonly number[]): Promise<number[]>;
  searchable?(sessions: readonly IndexedSession[]): Promise<void> | void;
};

/** What every ingest module takes: the engine, its indexes, the stores kept in them, and the hooks. */
export type IngestDeps = {
  engine: EngineClient;
  names: IndexNames;
  log: Logger;
  hooks: IngestHooks;
  /**
   * REDACT's rules: `hooks.prepare` applies them to every session, and whatever else a writer keeps or
   * logs that came from a vendor or a file (skip reasons, errors) goes through them too.
   */
  redactor: Redactor;
  /** RETENTION_DAYS: sessions created longer ago are neither written nor kept; null keeps everything. */
  retentionDays: number | null;
  /** Sync status and checkpoints, per source. */
  checkpoints: SyncStateStore;
  forgotten: ForgottenClients;
  /** Sessions of forgotten clients a source still lists, per source, for the totals check. */
  withheld: WithheldSessions;
};

/** Without a redactor nothing is redacted; `hooks.prepare` is the redactor's unless the hooks bring their own. */
export function ingestDeps(base: {
  engine: EngineClient;
  names: IndexNames;
  log: Logger;
  hooks?: IngestHooks;
  redactor?: Redactor;
  retentionDays?: number | null;
}): IngestDeps {
  const redactor = base.redactor ?? new Redactor({ kinds: [], patterns: [] });
  return {
    ...base,
    redactor,
    retentionDays: base.retentionDays ?? null,
    hooks: { prepare: (session) => redactSession(redactor, session), ...base.hooks },
    checkpoints: new SyncStateStore(base.engine, base.names),
    forgotten: new ForgottenClients(base.engine, base.names),
    withheld: new WithheldSessions(base.engine, base.names),
  };
}
