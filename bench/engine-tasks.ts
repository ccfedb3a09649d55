import type { EngineClient } from '../src/engine/client.js';

/**
 * Engine-side timing, from the engine's own task records: `finishedAt` marks the moment documents became
 * searchable, independent of how often anyone polled, and the union of task run times says how long
 * the engine was busy (vs waiting for work) during a phase.
 */
export type TaskTiming = {
  uid: number;
  batchUid: number | null;
  indexUid: string;
  type: string;
  status: string;
  /** Documents received, for document additions. */
  documents: number;
  enqueuedAt: number;
  startedAt: number;
  finishedAt: number;
};

type TaskRecord = {
  uid: number;
  batchUid?: number | null;
  indexUid: string | null;
  type: string;
  status: string;
  details?: { receivedDocuments?: number };
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

export async function tasksOf(engine: EngineClient, indexUids: string[]): Promise<TaskTiming[]> {
  const timings: TaskTiming[] = [];
  let from: number | null | undefined;
  do {
    const page = await engine.request<{ results: TaskRecord[]; next: number | null }>('GET', '/tasks', {
      query: { indexUids: indexUids.join(','), limit: 1000, from: from ?? undefined },
    });
    for (const task of page.results) {
      timings.push({
        uid: task.uid,
        batchUid: task.batchUid ?? null,
        indexUid: task.indexUid ?? '',
        type: task.type,
        status: task.status,
        documents: task.details?.receivedDocuments ?? 0,
        enqueuedAt: Date.parse(task.enqueuedAt),
        startedAt: task.startedAt ? Date.parse(task.startedAt) : Number.NaN,
        finishedAt: task.finishedAt ? Date.parse(task.finishedAt) : Number.NaN,
      });
    }
    from = page.next;
  } while (from !== null);
  return timings.sort((a, b) => a.uid - b.uid);
}

/** Milliseconds in which at least one of the tasks was running (batched tasks share their run time). */
export function busyMs(tasks: TaskTiming[]): number {
  const intervals = tasks
    .filter((task) => Number.isFinite(task.startedAt) && Number.isFinite(task.finishedAt))
    .map((task) => [task.startedAt, task.finishedAt] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [start, finish] of intervals) {
    if (finish <= end) continue;
    total += finish - Math.max(start, end);
    end = finish;
  }
  return total;
}

/** From the first task's start to the last task's finish, in ms. */
export function spanMs(tasks: TaskTiming[]): number {
  if (tasks.length === 0) return 0;
  return Math.max(...tasks.map((task) => task.finishedAt)) - Math.min(...tasks.map((task) => task.startedAt));
}

/** How the engine received and processed document additions: many small tasks or few large batches. */
export type BatchingStats = { documentTasks: number; engineBatches: number; medianDocumentsPerTask: number };

export function batchingStats(tasks: TaskTiming[]): BatchingStats {
  const additions = tasks.filter((task) => task.type === 'documentAdditionOrUpdate');
  const sizes = additions.map((task) => task.documents).sort((a, b) => a - b);
  return {
    documentTasks: additions.length,
    engineBatches: new Set(additions.map((task) => task.batchUid)).size,
    medianDocumentsPerTask: sizes[Math.floor(sizes.length / 2)] ?? 0,
  };
}

export function lastFinishedAt(tasks: TaskTiming[]): number {
  return Math.max(...tasks.map((task) => task.finishedAt));
}

export async function deleteIndexes(engine: EngineClient, uids: string[]): Promise<void> {
  const tasks: number[] = [];
  for (const uid of uids) {
    if (await engine.getIndex(uid)) tasks.push(await engine.deleteIndex(uid));
  }
  await engine.waitForTasks(tasks);
}
