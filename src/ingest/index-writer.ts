import type { EngineClient } from '../engine/client.js';
import { documentKey, type SessionDocument, type TurnDocument } from '../engine/documents.js';
import { allOf, keyedAnyOf, numberComparison } from '../engine/filter.js';
import type { IndexNames } from '../engine/indexes.js';
import type { Session } from '../model.js';
import { flattenSession } from './flatten.js';
import { NdjsonBuffer } from './ndjson-buffer.js';

/**
 * Buffers flattened sessions into large NDJSON batches and keeps the engine busy: a batch is sent as
 * soon as it is full and its tasks are awaited only when too many are pending. Many small tasks were
 * measured ~100× slower than large batches. `onIndexed` is called, in order, with the sessions
 * of each batch once both of its tasks succeeded: that is where checkpoints may advance.
 */
export type IndexWriterOptions = {
  /** Turn documents per batch. Default 50,000. */
  batchTurns?: number;
  /** Bytes of NDJSON per batch, whichever comes first. Default 32 MiB. */
  batchBytes?: number;
  /** Batches sent but not yet finished before `add` waits. Default 2: one indexing while the next is sent. */
  maxPendingBatches?: number;
  onIndexed?: (sessions: IndexedSession[]) => Promise<void> | void;
};

/** What a checkpoint needs of each indexed session; the documents themselves are not kept. */
export type IndexedSession = Pick<SessionDocument, 'sessionId' | 'createdAt' | 'inProgress' | 'turnCount'>;

type PendingBatch = { tasks: number[]; sessions: IndexedSession[] };


export class IndexWriter {
  readonly #engine: EngineClient;
  readonly #names: IndexNames;
  readonly #options: Required<Omit<IndexWriterOptions, 'onIndexed'>> & Pick<IndexWriterOptions, 'onIndexed'>;
  readonly #turnBody = new NdjsonBuffer();
  readonly #sessionBody = new NdjsonBuffer();
  #sessions: IndexedSession[] = [];
  readonly #pending: PendingBatch[] = [];
  #queue: Promise<void> = Promise.resolve();
  /** Per-batch stale-turn deletions, as one OR filter (a session that shrank leaves turns behind). */
  #staleTurnFilters: string[] = [];
  turnsWritten = 0;
  sessionsWritten = 0;

  constructor(engine: EngineClient, names: IndexNames, options: IndexWriterOptions = {}) {
    this.#engine = engine;
    this.#names = names;
    this.#options = { batchTurns: 50_000, batchBytes: 32 * 1024 * 1024, maxPendingBatches: 2, ...options };
  }

  async add(flat: { session: SessionDocument; turns: TurnDocument[] }, staleTurnsFilter?: string): Promise<void> {
    for (const turn of flat.turns) this.#turnBody.add(turn);
    this.#sessionBody.add(flat.session);
    const { sessionId, createdAt, inProgress, turnCount } = flat.session;
    this.#sessions.push({ sessionId, createdAt, inProgress, turnCount });
    if (staleTurnsFilter) this.#staleTurnFilters.push(staleTurnsFilter);
    if (this.#turnBody.count >= this.#options.batchTurns || this.#turnBody.bytes + this.#sessionBody.bytes >= this.#options.batchBytes) {
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
      this.#sessions = [];
      this.#staleTurnFilters = [];
      const tasks: number[] = [];
      if (staleTurnFilters.length > 0) {
        tasks.push(await this.#engine.deleteDocumentsByFilter(this.#names.turns, staleTurnFilters.join(' OR ')));
      }
      if (turnCount > 0) tasks.push(await this.#engine.addDocumentsNdjson(this.#names.turns, turns, 'id'));
      tasks.push(await this.#engine.addDocumentsNdjson(this.#names.sessions, sessionDocs, 'id'));
      this.#pending.push({ tasks, sessions });
      this.turnsWritten += turnCount;
      this.sessionsWritten += sessions.length;
    }
    while (this.#pending.length > this.#options.maxPendingBatches) await this.#settleOldest();
  }

  async #settleOldest(): Promise<void> {
    const batch = this.#pending[0]!;
    await this.#engine.waitForTasks(batch.tasks);
    this.#pending.shift();
    await this.#options.onIndexed?.(batch.sessions);
  }
}

/** What the index holds of these sessions: one engine query for up to a listing page of ids. */
export async function knownSessions(
  engine: EngineClient,
  names: IndexNames,
  sessionIds: string[],
): Promise<Map<string, { inProgress: boolean; turnCount: number }>> {
  const known = new Map<string, { inProgress: boolean; turnCount: number }>();
  if (sessionIds.length === 0) return known;
  // By document id, which the engine compares exactly; the id is checked too (hashed ids).
  const wanted = new Set(sessionIds);
  const { results } = await engine.fetchDocuments<{ sessionId: string; inProgress: boolean; turnCount: number }>(names.sessions, {
    ids: [...new Set(sessionIds.map(documentKey))],
    fields: ['sessionId', 'inProgress', 'turnCount'],
    limit: sessionIds.length,
  });
  for (const doc of results) if (wanted.has(doc.sessionId)) known.set(doc.sessionId, { inProgress: doc.inProgress, turnCount: doc.turnCount });
  return known;
}

/** A session that shrank since it was indexed leaves turns past its new end; this filter names them. */
export function staleTurnsFilter(sessionId: string, knownTurnCount: number | undefined, turnCount: number): string | undefined {
  if (knownTurnCount === undefined || knownTurnCount <= turnCount) return undefined;
  return allOf([keyedAnyOf('sessionId', [sessionId]), numberComparison('turnIndex', '>=', turnCount)]);
}

/**
 * Push and file import: writes already-validated sessions. Returns once the engine has the tasks
 * (durably queued) or, with `wait`, once they are searchable.
 */
export async function writeSessions(
  engine: EngineClient,
  names: IndexNames,
  sessions: Session[],
  options: { wait: boolean },
): Promise<{ sessions: number; turns: number }> {
  const writer = new IndexWriter(engine, names);
  for (let i = 0; i < sessions.length; i += 100) {
    const chunk = sessions.slice(i, i + 100);
    const known = await knownSessions(engine, names, chunk.map((session) => session.sessionId));
    for (const session of chunk) {
      const flat = flattenSession(session);
      await writer.add(flat, staleTurnsFilter(session.sessionId, known.get(session.sessionId)?.turnCount, flat.turns.length));
    }
  }
  if (options.wait) await writer.finish();
  else await writer.flush();
  return { sessions: writer.sessionsWritten, turns: writer.turnsWritten };
}
