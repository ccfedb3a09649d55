import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Peak resident memory and CPU time of another process, from /proc/<pid>. VmHWM is the kernel's own
 * high-water mark, so sampling it misses nothing that happened before the last sample; only the last
 * interval before the process exits goes unseen (CPU time likewise).
 */
export type UsageWatch = { stop(): ProcessUsage };
export type ProcessUsage = { peakRssMb: number; cpuSeconds: number };

// USER_HZ, the unit of /proc/<pid>/stat times: fixed at 100 by the Linux ABI on x86-64 and arm64.
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds, or undefined once the process is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; the fields after its closing one do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Fields of /proc/<pid>/status counted in kB (VmRSS, VmHWM, RssAnon, …), read at once: undefined for
 * the whole once the process is gone, and for a field the kernel does not show (a zombie has no Vm*).
 */
export function statusKb<F extends string>(pid: number, fields: readonly F[]): Partial<Record<F, number>> | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb: Partial<Record<F, number>> = {};
  for (const field of fields) {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match) kb[field] = Number(match[1]);
  }
  return kb;
}

/** The pid of the engine startEmbeddedEngine runs on this data directory, from the record it keeps beside the database. */
export function embeddedEnginePid(dataDir: string): number {
  return (JSON.parse(readFileSync(path.join(dataDir, 'meilisearch', 'engine.json'), 'utf8')) as { pid: number }).pid;
}

export function watchProcess(pid: number, intervalMs = 25): UsageWatch {
  let peakKb = 0;
  let cpu = 0;
  const sample = () => {
    peakKb = Math.max(peakKb, statusKb(pid, ['VmHWM'])?.VmHWM ?? 0);
    cpu = cpuSeconds(pid) ?? cpu;
  };
  sample();
  // Never what keeps the benchmark alive after a failure.
  const timer = setInterval(sample, intervalMs).unref();
  return {
    stop: () => {
      sample();
      clearInterval(timer);
      return { peakRssMb: peakKb / 1024, cpuSeconds: cpu };
    },
  };
}

/**
 * CPU seconds each named process (and this one, as `bench`) spends from now until the returned
 * function is called: on a 2-core machine, who takes the CPU explains most of the timings.
 */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid) ?? 0]));
  const self = process.cpuUsage();
  return () => {
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) used[name] = (cpuSeconds(pid) ?? before[name]!) - before[name]!;
    const { user, system } = process.cpuUsage(self);
    used.bench = (user + system) / 1e6;
    return used;
  };
}
