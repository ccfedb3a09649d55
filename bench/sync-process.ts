import type { EngineClient } from '../src/engine/client.js';
import { indexNames } from '../src/engine/indexes.js';
import { batchingStats, busyMs, lastFinishedAt, tasksOf, type BatchingStats } from './engine-tasks.js';
import { cliEnv, spawnCli, tail } from './cli-process.js';
import { cpuMeter, watchProcess } from './process-usage.js';
import type { ReplicaUpstream } from './replica-upstream.js';

/**
 * The project's `sync` command as a user runs it, pointed at the bench engine and upstream, timed from
 * spawn to exit (the command exits only once everything is searchable).
 */
export type SyncResult = {
  seconds: number;
  sessions: number;
  turns: number;
  docsPerSecond: number;
  /** Spans the sync redacted, per kind (with `redact`). */
  redactions: Record<string, number>;
  peakRssMb: number;
  /** Engine running tasks of this sync, in seconds; the rest of `seconds` the engine waited for work. */
  engineBusySeconds: number;
  /** From spawn to the first documents task enqueued: start-up plus filling the first batch. */
  firstBatchSeconds: number;
  /** From the last documents task's finish to exit: the command's closing checks, state write and exit. */
  tailSeconds: number;
  upstreamRequests: number;
  /** CPU seconds of the sync process, the engine, and the bench process (which serves the upstream). */
  cpuSeconds: Record<string, number>;
  /** Document tasks on the turns and sessions indexes. */
  batching: BatchingStats;
};

export type SyncTarget = {
  engine: EngineClient;
  engineUrl: string;
  masterKey: string;
  enginePid: number;
  prefix: string;
  upstream: ReplicaUpstream;
  sourceConcurrency: number;
  /** REDACT for the sync; unset syncs without redaction. */
  redact?: string;
};

export async function runSyncCommand(target: SyncTarget): Promise<SyncResult> {
  const requestsBefore = target.upstream.requests;
  const cpu = cpuMeter({ engine: target.enginePid });
  const started = Date.now();
  const child = spawnCli(
    ['sync'],
    cliEnv({
      MEILI_URL: target.engineUrl,
      MEILI_MASTER_KEY: target.masterKey,
      INDEX_PREFIX: target.prefix,
      NAPSTER_API_KEY: target.upstream.apiKey,
      NAPSTER_BASE_URL: target.upstream.url,
      SOURCE_RPS: '100000',
      SOURCE_CONCURRENCY: String(target.sourceConcurrency),
      ...(target.redact ? { REDACT: target.redact } : {}),
    }),
  );
  const usage = watchProcess(child.pid!);
  const stdout = tail(child.stdout, 1_000_000);
  const stderr = tail(child.stderr);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  const { peakRssMb, cpuSeconds } = usage.stop();
  const finished = Date.now();
  const otherCpu = cpu();
  if (code !== 0) throw new Error(`sync exited with ${code}:\n${stderr()}\n${stdout()}`);
  const summary = JSON.parse(stdout().trim().split('\n').at(-1)!) as { sessions: number; turns: number; redactions: Record<string, number> };

  const names = indexNames(target.prefix);
  const tasks = await tasksOf(target.engine, [names.turns, names.sessions, names.state]);
  const documentTasks = tasks.filter((task) => task.type === 'documentAdditionOrUpdate' && task.indexUid !== names.state);
  const seconds = (finished - started) / 1000;
  return {
    seconds,
    sessions: summary.sessions,
    turns: summary.turns,
    docsPerSecond: (summary.sessions + summary.turns) / seconds,
    redactions: summary.redactions,
    peakRssMb,
    engineBusySeconds: busyMs(tasks) / 1000,
    firstBatchSeconds: documentTasks.length > 0 ? (Math.min(...documentTasks.map((task) => task.enqueuedAt)) - started) / 1000 : 0,
    tailSeconds: documentTasks.length > 0 ? (finished - lastFinishedAt(documentTasks)) / 1000 : 0,
    upstreamRequests: target.upstream.requests - requestsBefore,
    batching: batchingStats(documentTasks),
    cpuSeconds: { sync: cpuSeconds, ...otherCpu },
  };
}
