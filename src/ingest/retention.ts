import { keyedAnyOf, numberComparison, quote } from '../engine/filter.js';
import { deleteWhere, forgetTasks } from './delete.js';
import type { IngestDeps } from './deps.js';
import { dropFromCheckpoints } from './forget-client.js';

/*
 * RETENTION_DAYS: sessions created longer ago than that are deleted at the start of every sync run,
 * with everything made from them: their turns, the trackers' match records and webhook deliveries
 * naming them, their ids in the sync checkpoints (open sessions are revisited by id), and the engine
 * tasks that did the deleting (a deletion task keeps its filter, and so the ids, in the task list).
 * Sync passes then skip listing entries older than the cutoff, and push and import refuse them, so
 * nothing brings them back. What each sweep removed is kept as one record in the state index, shown
 * by GET /v1/sync.
 */

/** Unix seconds before which sessions are past retention; -Infinity keeps everything. */
export function retentionCutoff(days: number | null, now = Date.now()): number {
  return days === null ? -Infinity : Math.floor(now / 1000) - days * 86_400;
}

export type RetentionRemoved = { sessions: number; turns: number; trackerMatches: number; deliveries: number };

export type RetentionStatus = {
  id: 'retention';
  kind: 'retention';
  days: number;
  /** The last sweep: when, its cutoff (sessions created before it were deleted), and what it removed. */
  lastSweepAt: string;
  cutoff: string;
  lastSweep: RetentionRemoved;
  /** Everything sweeps removed since retention was first set. */
  removedTotal: RetentionRemoved;
};

const CHUNK = 500;

function noneRemoved(): RetentionRemoved {
  return { sessions: 0, turns: 0, trackerMatches: 0, deliveries: 0 };
}

export async function retentionStatus(deps: Pick<IngestDeps, 'engine' | 'names'>): Promise<RetentionStatus | null> {
  return (await deps.engine.getDocument<RetentionStatus>(deps.names.state, 'retention')) ?? null;
}

/** Deletes every session created before the cutoff and what was made of it; undefined when retention is off. */
export async function sweepExpired(deps: IngestDeps, now = Date.now()): Promise<RetentionStatus | undefined> {
  if (deps.retentionDays === null) return undefined;
  const { engine, names } = deps;
  const cutoff = retentionCutoff(deps.retentionDays, now);
  const expired: string[] = [];
  for await (const doc of engine.documents<{ sessionId: string }>(names.sessions, { filter: numberComparison('createdAt', '<', cutoff), fields: ['sessionId'] })) {
    expired.push(doc.sessionId);
  }
  const removed = noneRemoved();
  const taskUids: number[] = [];
  for (let i = 0; i < expired.length; i += CHUNK) {
    const chunk = expired.slice(i, i + CHUNK);
    const filter = keyedAnyOf('sessionId', chunk);
    // The tracker records (matches, deliveries) carry the session's key too: the deletion takes them, counted first.
    const [matches, deliveries] = await Promise.all(
      ['match', 'delivery'].map(async (kind) => (await engine.fetchDocuments(names.state, { filter: `kind = ${quote(kind)} AND ${filter}`, limit: 0 })).total),
    );
    const deleted = await deleteWhere(engine, names, filter);
    removed.sessions += deleted.sessions;
    removed.turns += deleted.turns;
    removed.trackerMatches += matches!;
    removed.deliveries += deliveries!;
    taskUids.push(...deleted.taskUids);
  }
  if (expired.length > 0) await dropFromCheckpoints(deps, new Set(expired));
  await forgetTasks(deps, taskUids, "retention's");
  const previous = await retentionStatus(deps);
  const total = previous?.removedTotal ?? noneRemoved();
  const status: RetentionStatus = {
    id: 'retention',
    kind: 'retention',
    days: deps.retentionDays,
    lastSweepAt: new Date(now).toISOString(),
    cutoff: new Date(cutoff * 1000).toISOString(),
    lastSweep: removed,
    removedTotal: {
      sessions: total.sessions + removed.sessions,
      turns: total.turns + removed.turns,
      trackerMatches: total.trackerMatches + removed.trackerMatches,
      deliveries: total.deliveries + removed.deliveries,
    },
  };
  await engine.waitForTask(await engine.addDocuments(names.state, [status]));
  if (removed.sessions > 0) deps.log.info('retention removed expired sessions', { days: deps.retentionDays, ...removed });
  return status;
}
