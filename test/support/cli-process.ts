import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * `transcript-search` (the built CLI, dist/main.js) as a real process, its JSON log lines on stderr
 * collected as they come, each with the time it was written. For tests of what several processes
 * sharing one engine do.
 */
export type LogLine = { time: string; level: string; msg: string; [field: string]: unknown };

export type CliProcess = {
  child: ChildProcess;
  lines: LogLine[];
  /** The API's URL, once `serve` logs that it listens. */
  listening: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
};

export function startCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [path.resolve('dist/main.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      // Lines that are not log entries (a held source's message from `sync`) are kept in `stderr` only.
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as LogLine;
      lines.push(entry);
      if (entry.msg === 'listening') resolve(entry.url as string);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before listening`)));
  });
  listening.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, lines, listening, exited };
}

/** A process's passes of one source, from its `sync started` / `sync finished` lines (a killed one ends at `killedAt`). */
export function passesOf(run: CliProcess, source: string, killedAt = Number.POSITIVE_INFINITY): Array<{ start: number; end: number }> {
  const passes: Array<{ start: number; end: number }> = [];
  for (const line of run.lines) {
    if (line.source !== source) continue;
    if (line.msg === 'sync started') passes.push({ start: Date.parse(line.time), end: killedAt });
    if (line.msg === 'sync finished') passes.at(-1)!.end = Date.parse(line.time);
  }
  return passes;
}

/** Pairs of passes of different processes that overlap in time: none, when one syncs at a time. */
export function overlapping(runs: CliProcess[], source: string, killedAt: Map<CliProcess, number> = new Map()): string[] {
  const all = runs.flatMap((run, i) => passesOf(run, source, killedAt.get(run)).map((pass) => ({ ...pass, process: i })));
  all.sort((a, b) => a.start - b.start);
  const found: string[] = [];
  for (let i = 1; i < all.length; i++) {
    const [before, after] = [all[i - 1]!, all[i]!];
    if (after.start < before.end) found.push(`process ${after.process} started at ${after.start} before process ${before.process}'s pass ended at ${before.end}`);
  }
  return found;
}

export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
