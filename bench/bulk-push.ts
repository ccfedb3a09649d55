import { readFile } from 'node:fs/promises';
import type { EngineClient } from '../src/engine/client.js';
import { ensureIndexes, indexNames } from '../src/engine/indexes.js';
import { batchingStats, busyMs, lastFinishedAt, spanMs, tasksOf, type BatchingStats } from './engine-tasks.js';
import type { NdjsonBatches } from './ndjson-batches.js';
import { cpuMeter } from './process-usage.js';

/**
 * The engine's limit for this corpus: the prepared NDJSON pushed as fast as the engine accepts it, all
 * tasks enqueued before any is awaited (the engine batches consecutive additions), timed until the last
 * task finished. `settings: 'project'` uses the project's index settings; `'default'` creates the two
 * indexes with nothing but a primary key: with the lean documents (lean.ts), the reference the issue
 * compares against.
 */
export type PushResult = {
  seconds: number;
  /** Enqueueing everything (upload of the NDJSON), from the start. */
  uploadSeconds: number;
  turnsSeconds: number;
  sessionsSeconds: number;
  engineBusySeconds: number;
  docsPerSecond: number;
  batching: BatchingStats;
  /** CPU seconds of the engine and of the bench process (reading and uploading the files). */
  cpuSeconds: Record<string, number>;
};

export async function bulkPush(
  target: { client: EngineClient; pid: number },
  batches: NdjsonBatches,
  prefix: string,
  settings: 'project' | 'default',
  files: { turns: string[]; sessions: string[] } = batches,
): Promise<PushResult> {
  const engine = target.client;
  const names = indexNames(prefix);
  if (settings === 'project') {
    await ensureIndexes(engine, names);
  } else {
    await engine.waitForTasks([
      await engine.createIndex(names.turns, 'id'),
      await engine.createIndex(names.sessions, 'id'),
    ]);
  }
  const cpu = cpuMeter({ engine: target.pid });
  const started = Date.now();
  const taskUids: number[] = [];
  for (const [uid, list] of [[names.turns, files.turns], [names.sessions, files.sessions]] as const) {
    for (const file of list) taskUids.push(await engine.addDocumentsNdjson(uid, await readFile(file), 'id'));
  }
  const uploaded = Date.now();
  // One engine batch of a 10× corpus can take longer than the client's default 10 minutes on a busy machine.
  for (const uid of taskUids) await engine.waitForTask(uid, { timeoutMs: 3 * 3_600_000 });
  const cpuSeconds = cpu();
  const pushed = new Set(taskUids);
  const tasks = (await tasksOf(engine, [names.turns, names.sessions])).filter((task) => pushed.has(task.uid));
  const seconds = (lastFinishedAt(tasks) - started) / 1000;
  return {
    seconds,
    uploadSeconds: (uploaded - started) / 1000,
    turnsSeconds: spanMs(tasks.filter((task) => task.indexUid === names.turns)) / 1000,
    sessionsSeconds: spanMs(tasks.filter((task) => task.indexUid === names.sessions)) / 1000,
    engineBusySeconds: busyMs(tasks) / 1000,
    docsPerSecond: (batches.turnCount + batches.sessionCount) / seconds,
    batching: batchingStats(tasks),
    cpuSeconds,
  };
}

/**
 * A freshly started engine indexes its first batch markedly slower (measured ~1.7× on 500 sessions);
 * pushing a slice of the documents to a throwaway index first keeps that out of whichever phase
 * happens to run first.
 */
export async function warmUpEngine(engine: EngineClient, batches: NdjsonBatches, lines = 5_000): Promise<void> {
  const uid = 'bench_warmup';
  const text = (await readFile(batches.turns[0]!, 'utf8')).split('\n', lines).join('\n');
  await engine.waitForTask(await engine.addDocumentsNdjson(uid, text, 'id'));
  await engine.waitForTask(await engine.deleteIndex(uid));
}
