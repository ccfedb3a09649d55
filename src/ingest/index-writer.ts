import { documentKey } from '../engine/documents.js';
import { allOf, keyedAnyOf, numberComparison } from '../engine/filter.js';
import type { Session } from '../model.js';
import { addCounts, type RedactionCounts } from '../redact/kinds.js';
import type { IndexedSession, IngestDeps } from './deps.js';
import { flattenSession } from './flatten.js';
import { NdjsonBuffer } from './ndjson-buffer.js';

/*
 * Sessions → large NDJSON batches, keeping the engine busy: a batch is sent as soon as it is full and
 * its tasks are awaited only when too many are pending. Many small tasks were measured ~100× slower
 * than large batches. Every session passes the `prepare` hook before it is flattened; the `arriving`
 * and `queued` hooks are told of each batch around the queuing of its documents; once every task of
 * a batch succeeded, `onIndexed` and then the `searchable` hook are told its sessions, in order: that
 * is where checkpoints may advance and trackers look at what arrived.
 */

export type IndexWriterOptions = {
  /** Turn documents per batch. Default 50,000. */
  batchTurns?: number;
  /**
   * Bytes of NDJSON of either index per batch, whichever comes first. Default 48 MiB: half the engine's
   * payload limit, and few enough tasks for the engine to merge them (session documents now hold
   * their text too: a limit on both bodies together made 32 tasks of the corpus, 9 engine batches;
   * one per body makes 14 tasks, 4 batches).
   */
  batchBytes?: number;
  /**
   * Batches sent but not yet finished before `add` waits. Default 6: the engine merges the queued
   * tasks of one index into one batch, and larger batches index faster (at 3 M turns, two pending
   * batches left it 86 batches of one task each); a pending batch holds only its task ids.
   */
  maxPendingBatches?: number;
  /** Told of each batch once searchable: its sessions, and what `prepare` redacted from them. */
  onIndexed?: (sessions: IndexedSession[], redactions: RedactionCounts) => Promise<void> | void;
};

type PendingBatch = { tasks: number[]; sessions: IndexedSession[]; redactions: RedactionCounts };

export class IndexWriter {
  readonly #deps: Pick<IngestDeps, 'engine' | 'names' | 'hooks'>;
  readonly #options: Required<Omit<IndexWriterOptions, 'onIndexed'>> & Pick<IndexWriterOptions, 'onIndexed'>;
  readonly #turnBody = new NdjsonBuffer();
  readonly #sessionBody = new NdjsonBuffer();
  #sessions: IndexedSession[] = [];
  /** Turns the index held of the buffered sessions before, for those it held. */
  #priorTurns = new Map<string, number>();
  readonly #pending: PendingBatch[] = [];
  #queue: Promise<void> = Promise.resolve();
  /** The batch being buffered, stamped on its turns (`arrival`): what trackers evaluate it by. */
  #arrival = newArrival();
  /** Per-batch stale-turn deletions, as one OR filter (a session that shrank leaves turns behind). */
  #staleTurnFilters: string[] = [];
  /** Redactions in the buffered sessions. */
  #redactions: RedactionCounts = {};
  turnsWritten = 0;
  sessionsWritten = 0;
  /** Redactions per kind in what was sent. */
  readonly redactions: RedactionCounts = {};

  constructor(deps: Pick<IngestDeps, 'engine' | 'names' | 'hooks'>, options: IndexWriterOptions = {}) {
    this.#deps = deps;
    this.#options = { batchTurns: 50_000, batchBytes: 48 * 1024 * 1024, maxPendingBatches: 6, ...options };
  }

  /**
   * Buffers one session, sending the batch when it is full. `knownTurnCount` is how many turns the
   * index holds of it now: turns past its new end are deleted in the same batch.
   */
  async add(session: Session, knownTurnCount?: number): Promise<void> {
    const prepared = this.#deps.hooks.prepare ? this.#deps.hooks.prepare(session) : { session, redactions: {} };
    const flat = flattenSession(prepared.session);
    addCounts(this.#redactions, prepared.redactions);
    for (const turn of flat.turns) {
      turn.arrival = this.#arrival;
      this.#turnBody.add(turn);
    }
    this.#sessionBody.add(flat.session);
    const { sessionId, createdAt, inProgress, turnCount } = flat.session;
    this.#sessions.push({ sessionId, createdAt, inProgress, turnCount });
    if (knownTurnCount !== undefined && knownTurnCount > 0) this.#priorTurns.set(sessionId, knownTurnCount);
    const stale = staleTurnsFilter(sessionId, knownTurnCount, turnCount);
    if (stale) this.#staleTurnFilters.push(stale);
    if (this.#turnBody.count >= this.#options.batchTurns || Math.max(this.#turnBody.bytes, this.#sessionBody.bytes) >= this.#options.batchBytes) {
      await this.flush();
    }
  }

  /** Sends what is buffered; waits for the oldest batch when too many are in flight. */
  flush(): Promise<void> {
    // Loads run concurrently and all end here: one flush at a time keeps tasks in buffer order (a
    // stale-turn deletion must reach the engine before the turns that replace them).
    this.#queue = this.#queue.then(() => this.#flushNow());
    return this.#queue;
  }

  /** Flushes and waits until everything sent is searchable; throws if any task failed. */
  async finish(): Promise<void> {
    await this.flush();
    this.#queue = this.#queue.then(async () => {
      while (this.#pending.length > 0) await this.#settleOldest();
    });
    await this.#queue;
  }

  async #flushNow(): Promise<void> {
    if (this.#sessions.length > 0) {
      const turnCount = this.#turnBody.count;
      const turns = this.#turnBody.take();
      const sessionDocs = this.#sessionBody.take();
      const sessions = this.#sessions;
      const staleTurnFilters = this.#staleTurnFilters;
      const arrival = this.#arrival;
      const priorTurns = this.#priorTurns;
      const redactions = this.#redactions;
      this.#redactions = {};
      this.#sessions = [];
      this.#staleTurnFilters = [];
      this.#priorTurns = new Map();
      this.#arrival = newArrival();
      const { engine, names, hooks } = this.#deps;
      const tasks: number[] = (await hooks.arriving?.({ arrival, sessions, priorTurns })) ?? [];
      const documentTasks: number[] = [];
      if (staleTurnFilters.length > 0) documentTasks.push(await engine.deleteDocumentsByFilter(names.turns, staleTurnFilters.join(' OR ')));
      if (turnCount > 0) documentTasks.push(await engine.addDocumentsNdjson(names.turns, turns, 'id'));
      documentTasks.push(await engine.addDocumentsNdjson(names.sessions, sessionDocs, 'id'));
      tasks.push(...documentTasks, ...((await hooks.queued?.(arrival, documentTasks)) ?? []));
      this.#pending.push({ tasks, sessions, redactions });
      this.turnsWritten += turnCount;
      this.sessionsWritten += sessions.length;
      addCounts(this.redactions, redactions);
    }
    while (this.#pending.length > this.#options.maxPendingBatches) await this.#settleOldest();
  }

  async #settleOldest(): Promise<void> {
    const batch = this.#pending[0]!;
    await this.#deps.engine.waitForTasks(batch.tasks);
    this.#pending.shift();
    await this.#options.onIndexed?.(batch.sessions, batch.redactions);
    await this.#deps.hooks.searchable?.(batch.sessions);
  }
}

/**
 * A batch id: milliseconds since 1970 times 1,000 plus a random part, so batches of one process are in
 * order and two processes writing in the same millisecond almost never share one (if they do, an
 * evaluation of that arrival covers both batches, which tracker match records make harmless).
 */
function newArrival(): number {
  return Date.now() * 1000 + Math.floor(Math.random() * 1000);
}

/** What the index holds of these sessions: one engine query for up to a listing page of ids. */
export async function knownSessions(
  deps: Pick<IngestDeps, 'engine' | 'names'>,
  sessionIds: string[],
): Promise<Map<string, { inProgress: boolean; turnCount: number }>> {
  const known = new Map<string, { inProgress: boolean; turnCount: number }>();
  if (sessionIds.length === 0) return known;
  // By document id, which the engine compares exactly; the id is checked too (hashed ids).
  const wanted = new Set(sessionIds);
  const { results } = await deps.engine.fetchDocuments<{ sessionId: string; inProgress: boolean; turnCount: number }>(deps.names.sessions, {
    ids: [...new Set(sessionIds.map(documentKey))],
    fields: ['sessionId', 'inProgress', 'turnCount'],
    limit: sessionIds.length,
  });
  for (const doc of results) if (wanted.has(doc.sessionId)) known.set(doc.sessionId, { inProgress: doc.inProgress, turnCount: doc.turnCount });
  return known;
}

/** A session that shrank since it was indexed leaves turns past its new end; this filter names them. */
function staleTurnsFilter(sessionId: string, knownTurnCount: number | undefined, turnCount: number): string | undefined {
  if (knownTurnCount === undefined || knownTurnCount <= turnCount) return undefined;
  return allOf([keyedAnyOf('sessionId', [sessionId]), numberComparison('turnIndex', '>=', turnCount)]);
}

/**
 * Push and file import: writes already-validated sessions. Returns once the engine has the tasks
 * (durably queued) or, with `wait`, once they are searchable.
 */
export async function writeSessions(
  deps: Pick<IngestDeps, 'engine' | 'names' | 'hooks'>,
  sessions: Session[],
  options: { wait: boolean },
): Promise<{ sessions: number; turns: number; redactions: RedactionCounts }> {
  const writer = new IndexWriter(deps, {});
  for (let i = 0; i < sessions.length; i += 100) {
    const chunk = sessions.slice(i, i + 100);
    const known = await knownSessions(deps, chunk.map((session) => session.sessionId));
    for (const session of chunk) await writer.add(session, known.get(session.sessionId)?.turnCount);
  }
  if (options.wait) await writer.finish();
  else await writer.flush();
  return { sessions: writer.sessionsWritten, turns: writer.turnsWritten, redactions: writer.redactions };
}
