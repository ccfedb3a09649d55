import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { EngineClient } from '../engine/client.js';
import { dayOf, exactKey, exactKeyOrNull } from '../engine/documents.js';
import { numberComparison } from '../engine/filter.js';
import { EngineError } from '../errors.js';
import { markedHtml } from '../engine/highlight.js';
import type { IndexNames } from '../engine/indexes.js';
import type { ArrivingBatch } from '../ingest/deps.js';
import type { Logger } from '../logger.js';
import { trackerSearchRequest } from '../search/params.js';
import { countTurns, searchTurns, type TurnHit } from '../search/turns.js';
import { trackerSearch, type Tracker, type TrackerStore } from './store.js';
import { sessionsOnDays } from './trend.js';

/*
 * Evaluation on arrival. Every batch of documents written while trackers exist is announced durably:
 * an arrival record (its sessions, and how many turns of each the index held before) is queued just
 * before the batch's documents, so the engine holds it before any of them can be seen, and is
 * confirmed with the documents' tasks just after. Once those tasks finished, every tracker runs its
 * own search, exactly the query a turn search makes, narrowed to turns written by this batch or a
 * later one (`arrival >= N`; every turn carries the stamp of the batch that last wrote it, and stamps
 * grow with time), keeping the turns of the batch's sessions past what the index held before: a
 * session written again (a full sync, a revisit of one still open) adds only its new turns, and turns
 * that were searchable before a tracker existed are never sent as its news. For a tracker with a
 * webhook, matches are recorded per tracker and session, by turn, so no turn is sent twice, whatever
 * order arrivals are evaluated in (or twice, after a crash); the new ones become webhook deliveries. Records, deliveries and the arrival's "done" are one engine
 * write: a crash before it leaves the arrival to be evaluated again, by this process or the next one.
 * An announced arrival never confirmed (its writer died around the queuing) is evaluated once
 * STALE_MS have passed, by the same rule.
 */

export type TrackerObserver = {
  evaluated(seconds: number, trackers: number): void;
  matched(turns: number): void;
  delivered(outcome: 'delivered' | 'retry' | 'dead'): void;
};

export type TrackerDeps = {
  engine: EngineClient;
  names: IndexNames;
  log: Logger;
  store: TrackerStore;
  observer?: TrackerObserver;
  /** Default STALE_MS; tests shorten it. */
  staleMs?: number;
};

type ArrivalRecord = {
  id: string;
  kind: 'arrival';
  arrival: number;
  sessionIds: string[];
  /** Turns the index held of a session before this batch, for the sessions it held. */
  priorTurns: Record<string, number>;
  /** The documents' tasks, once confirmed. */
  tasks: number[];
  /** Unix ms. */
  createdAt: number;
  status: 'announced' | 'pending' | 'done';
};

/**
 * Whose words a record holds, as the exact keys the data indexes carry: a deletion of sessions (by id,
 * client, companion or tenant; ingest/delete.ts) applies the same filter here and takes the records
 * with them.
 */
type Owner = { sessionKey: string; companionKey: string | null; clientKey: string | null; tenantKey: string | null };

type MatchRecord = Owner & { id: string; kind: 'match'; trackerId: string; sessionId: string; turns: number[] };

/** A webhook waiting to be sent, or sent, or given up on: the delivery log is these records. */
export type DeliveryRecord = Partial<Owner> & {
  id: string;
  kind: 'delivery';
  trackerId: string;
  type: 'matches' | 'threshold';
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  /** Unix milliseconds. */
  createdAt: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  deliveredAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  matchCount: number;
  sessionIds: string[];
  /** The exact bytes to send (and sign); dropped once delivered. */
  body: string | null;
};

/** Turns per webhook body; more matches make more deliveries. */
const MATCHES_PER_DELIVERY = 100;
/** Matches fetched per engine query while evaluating one tracker on one arrival. */
const PAGE = 1_000;
/** Trackers evaluated at once. */
const CONCURRENCY = 4;
/** An arrival announced this long ago and never confirmed is evaluated as it stands. */
const STALE_MS = 2 * 60_000;

export class TrackerEvaluator {
  #running: Promise<void> = Promise.resolve();

  constructor(private readonly deps: TrackerDeps) {}

  readonly #announced = new Set<number>();

  /** The `arriving` ingest hook: announces the batch when there is a tracker to evaluate it. */
  async announce(batch: ArrivingBatch): Promise<number[]> {
    if (!(await this.deps.store.any())) return [];
    const record: ArrivalRecord = {
      id: arrivalId(batch.arrival),
      kind: 'arrival',
      arrival: batch.arrival,
      sessionIds: batch.sessions.map((session) => session.sessionId),
      priorTurns: Object.fromEntries(batch.priorTurns),
      tasks: [],
      createdAt: Date.now(),
      status: 'announced',
    };
    this.#announced.add(batch.arrival);
    return [await this.deps.engine.addDocuments(this.deps.names.state, [record])];
  }

  /** The `queued` ingest hook: confirms an announced batch with its documents' tasks. */
  async confirm(arrival: number, tasks: readonly number[]): Promise<number[]> {
    if (!this.#announced.delete(arrival)) return [];
    return [await this.deps.engine.updateDocuments(this.deps.names.state, [{ id: arrivalId(arrival), tasks: [...tasks], status: 'pending' }])];
  }

  /**
   * Evaluates every pending arrival whose documents are searchable, oldest first; one run at a time.
   * `signal` (the trackers lease lost) stops it between arrivals.
   */
  evaluatePending(signal?: AbortSignal): Promise<void> {
    const run = this.#running.then(() => this.#evaluateAll(signal));
    this.#running = run.catch(() => undefined);
    return run;
  }

  async #evaluateAll(signal: AbortSignal | undefined): Promise<void> {
    const { engine, names } = this.deps;
    const evaluated = new Set<string>();
    while (!signal?.aborted) {
      const { results } = await engine.fetchDocuments<ArrivalRecord>(names.state, { filter: 'kind = "arrival" AND status != "done"', limit: 100 });
      const ready: Array<[ArrivalRecord, number]> = [];
      for (const arrival of results.sort((a, b) => a.arrival - b.arrival)) {
        if (evaluated.has(arrival.id)) continue;
        const since = await this.#searchableSince(arrival);
        if (since !== undefined) ready.push([arrival, since]);
      }
      if (ready.length === 0) break;
      for (const [arrival, since] of ready) {
        if (signal?.aborted) break;
        await this.#evaluate(arrival, since);
        evaluated.add(arrival.id);
      }
    }
    // The done ones were kept only until their results were written with them; nothing waits for this.
    if (evaluated.size > 0) await engine.deleteDocumentsByFilter(names.state, 'kind = "arrival" AND status = "done"');
  }

  /** When the arrival's documents became searchable (Unix ms); undefined while they may still be on their way. */
  async #searchableSince(arrival: ArrivalRecord): Promise<number | undefined> {
    if (arrival.status === 'announced') return Date.now() - arrival.createdAt >= (this.deps.staleMs ?? STALE_MS) ? Date.now() : undefined;
    let since = arrival.createdAt;
    for (const uid of arrival.tasks) {
      try {
        const task = await this.deps.engine.getTask(uid);
        if (task.status === 'enqueued' || task.status === 'processing') return undefined;
        if (task.finishedAt) since = Math.max(since, Date.parse(task.finishedAt));
      } catch (error) {
        // Deleted from the engine's task list (a forget deletes its tasks): long finished.
        if (!(error instanceof EngineError && error.engineCode === 'task_not_found')) throw error;
      }
    }
    return since;
  }

  async #evaluate(arrival: ArrivalRecord, searchableSince: number): Promise<void> {
    const started = performance.now();
    // Only trackers that existed when the documents became searchable: a new tracker's history is
    // found by its searches and trend, never sent as webhooks.
    const trackers = (await this.deps.store.list()).filter((tracker) => Date.parse(tracker.createdAt) <= searchableSince);
    const writes: object[] = [];
    let matched = await this.#countNew(trackers.filter((tracker) => tracker.webhookUrl === null), arrival);
    const hooked = trackers.filter((tracker) => tracker.webhookUrl !== null);
    for (const result of await inGroups(hooked, (tracker) => this.#evaluateTracker(tracker, arrival))) {
      writes.push(...result.writes);
      matched += result.matched;
    }
    writes.push({ ...arrival, status: 'done' });
    await this.deps.engine.waitForTask(await this.deps.engine.addDocuments(this.deps.names.state, writes));
    this.deps.observer?.matched(matched);
    this.deps.observer?.evaluated((performance.now() - started) / 1000, trackers.length);
  }

  /**
   * Trackers without a webhook send nothing, so they record nothing: what the batch wrote that each
   * one matches is only counted (the metrics), by a count query each, all in one round trip. Fetching
   * their hits to count them made a full-corpus first sync with 100 trackers half as long again.
   * A batch that wrote sessions the index held before counts hit by hit, past the turns it held.
   */
  async #countNew(trackers: Tracker[], arrival: ArrivalRecord): Promise<number> {
    if (trackers.length === 0) return 0;
    if (Object.keys(arrival.priorTurns).length > 0) {
      return (await inGroups(trackers, (tracker) => this.#newHits(tracker, arrival))).reduce((sum, hits) => sum + hits.length, 0);
    }
    // Turns the batch wrote still carry its stamp, unless a later batch wrote their session again
    // before this count: that one's own evaluation then holds them as turns the index already had.
    const counts = await countTurns(
      this.deps,
      trackers.map((tracker) => ({ request: trackerSearchRequest(trackerSearch(tracker), { page: 1, hitsPerPage: 0 }), scope: tracker.scope })),
      numberComparison('arrival', '=', arrival.arrival),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /** The tracker's matches among the turns the batch wrote, past what the index held of each session before. */
  async #newHits(tracker: Tracker, arrival: ArrivalRecord): Promise<TurnHit[]> {
    const sessions = new Set(arrival.sessionIds);
    return (await this.#hitsFrom(tracker, arrival.arrival)).filter(
      (hit) => sessions.has(hit.sessionId) && hit.turnIndex >= (arrival.priorTurns[hit.sessionId] ?? 0),
    );
  }

  async #evaluateTracker(tracker: Tracker, arrival: ArrivalRecord): Promise<{ writes: object[]; matched: number }> {
    const hits = await this.#newHits(tracker, arrival);
    if (hits.length === 0) return { writes: [], matched: 0 };
    const bySession = bySessionOf(hits);
    const ids = [...bySession.keys()].map((sessionId) => matchRecordId(tracker.id, sessionId));
    const { results } = await this.deps.engine.fetchDocuments<MatchRecord>(this.deps.names.state, { ids, limit: ids.length });
    const recorded = new Map(results.filter((record) => record.trackerId === tracker.id).map((record) => [record.sessionId, new Set(record.turns)]));

    const writes: object[] = [];
    const fresh = new Map<string, TurnHit[]>();
    for (const [sessionId, turns] of bySession) {
      const known = recorded.get(sessionId) ?? new Set<number>();
      const added = turns.filter((hit) => !known.has(hit.turnIndex));
      if (added.length === 0) continue;
      fresh.set(sessionId, added);
      const record: MatchRecord = {
        id: matchRecordId(tracker.id, sessionId),
        kind: 'match',
        trackerId: tracker.id,
        sessionId,
        ...ownerOf(turns[0]!),
        turns: [...known, ...added.map((hit) => hit.turnIndex)].sort((a, b) => a - b),
      };
      writes.push(record);
    }
    const freshHits = [...fresh.values()].flat();
    if (freshHits.length > 0) {
      writes.push(...matchDeliveries(tracker, fresh));
      if (tracker.threshold) writes.push(...(await this.#thresholdDeliveries(tracker, freshHits)));
    }
    return { writes, matched: freshHits.length };
  }

  /** Every turn written by this arrival or a later one that the tracker's search matches, within its scope. */
  async #hitsFrom(tracker: Tracker, arrival: number): Promise<TurnHit[]> {
    const search = trackerSearch(tracker);
    const hits: TurnHit[] = [];
    for (let page = 1; ; page++) {
      const result = await searchTurns(this.deps, trackerSearchRequest(search, { page, hitsPerPage: PAGE }), tracker.scope, `arrival >= ${arrival}`);
      hits.push(...result.hits);
      if (result.hits.length < PAGE || hits.length >= result.totalHits) return hits;
    }
  }

  /** One delivery per day whose matching sessions pass the threshold, made once (its id is the day's). */
  async #thresholdDeliveries(tracker: Tracker, fresh: TurnHit[]): Promise<DeliveryRecord[]> {
    const days = [...new Set(fresh.map((hit) => dayOf(hit.timestamp === null ? null : Date.parse(hit.timestamp) / 1000)).filter((day): day is number => day !== null))];
    const counts = await sessionsOnDays(this.deps, tracker, days);
    const over = days.filter((day) => (counts.get(day) ?? 0) > tracker.threshold!.sessionsPerDay);
    if (over.length === 0) return [];
    const ids = over.map((day) => deliveryId(tracker.id, ['threshold', String(day)]));
    const { results } = await this.deps.engine.fetchDocuments<{ id: string }>(this.deps.names.state, { ids, fields: ['id'], limit: ids.length });
    const sent = new Set(results.map((record) => record.id));
    return over
      .map((day, i) => ({ day, id: ids[i]! }))
      .filter(({ id }) => !sent.has(id))
      .map(({ day, id }) =>
        deliveryRecord(tracker, id, 'threshold', [], {
          threshold: { day: new Date(day * 86_400_000).toISOString().slice(0, 10), sessions: counts.get(day)!, sessionsPerDay: tracker.threshold!.sessionsPerDay },
        }),
      );
  }
}

/**
 * New matches, by session → deliveries of one session's turns each (at most MATCHES_PER_DELIVERY): a session's
 * words go and are deleted together, whoever's they are.
 */
function matchDeliveries(tracker: Tracker, fresh: ReadonlyMap<string, TurnHit[]>): DeliveryRecord[] {
  const deliveries: DeliveryRecord[] = [];
  for (const hits of fresh.values()) {
    hits.sort((a, b) => a.turnIndex - b.turnIndex);
    for (let i = 0; i < hits.length; i += MATCHES_PER_DELIVERY) {
      const chunk = hits.slice(i, i + MATCHES_PER_DELIVERY);
      // The same matches make the same id: two processes evaluating one arrival write one delivery.
      const id = deliveryId(tracker.id, chunk.map((hit) => `${hit.sessionId}\u0000${hit.turnIndex}`));
      deliveries.push({ ...deliveryRecord(tracker, id, 'matches', chunk, {}), ...ownerOf(chunk[0]!) });
    }
  }
  return deliveries;
}

/** `work` on every tracker, CONCURRENCY at once; the results in the trackers' order. */
async function inGroups<T>(trackers: readonly Tracker[], work: (tracker: Tracker) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < trackers.length; i += CONCURRENCY) results.push(...(await Promise.all(trackers.slice(i, i + CONCURRENCY).map(work))));
  return results;
}

/** Hits by session id, each session's in the order given. */
function bySessionOf(hits: readonly TurnHit[]): Map<string, TurnHit[]> {
  const bySession = new Map<string, TurnHit[]>();
  for (const hit of hits) {
    const list = bySession.get(hit.sessionId);
    if (list) list.push(hit);
    else bySession.set(hit.sessionId, [hit]);
  }
  return bySession;
}

function ownerOf(hit: TurnHit): Owner {
  return { sessionKey: exactKey(hit.sessionId), companionKey: exactKeyOrNull(hit.companionId), clientKey: exactKeyOrNull(hit.externalClientId), tenantKey: exactKeyOrNull(hit.tenantId) };
}

function deliveryRecord(tracker: Tracker, id: string, type: DeliveryRecord['type'], hits: TurnHit[], extra: Record<string, unknown>): DeliveryRecord {
  const now = Date.now();
  const matches = hits.map((hit) => ({ ...hit, highlight: markedHtml(hit.highlight) }));
  return {
    id,
    kind: 'delivery',
    trackerId: tracker.id,
    type,
    status: 'pending',
    attempts: 0,
    createdAt: now,
    nextAttemptAt: now,
    lastAttemptAt: null,
    deliveredAt: null,
    lastStatus: null,
    lastError: null,
    matchCount: hits.length,
    sessionIds: [...new Set(hits.map((hit) => hit.sessionId))],
    body: JSON.stringify({ deliveryId: id, tracker: { id: tracker.id, name: tracker.name }, ...extra, matches }),
  };
}

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0001')).digest('hex').slice(0, 40);
}

function arrivalId(arrival: number): string {
  return `arrival-${arrival}`;
}

function matchRecordId(trackerId: string, sessionId: string): string {
  return `match-${digest([trackerId, sessionId])}`;
}

function deliveryId(trackerId: string, parts: readonly string[]): string {
  return `dlv_${digest([trackerId, ...parts])}`;
}
