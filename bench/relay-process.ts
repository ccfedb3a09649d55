import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineCall } from './engine-calls.js';
import type { BenchQuery } from './queries.js';

/** relay-server.ts in a process of its own, like `serve`, so each has its own share of the cores. */
export type RelayProcess = { url: string; pid: number; stop(): Promise<void> };

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'relay-server.ts');

export async function startRelay(engine: { url: string; apiKey: string }, queries: BenchQuery[], calls: Map<string, EngineCall[]>): Promise<RelayProcess> {
  // Advanced serialization keeps Buffer bodies Buffers on the way over.
  const child = fork(SERVER, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the relay exited with ${code} before listening`)));
    child.send({ engineUrl: engine.url, apiKey: engine.apiKey, calls: queries.map((query) => [query.path, calls.get(query.name)!]) });
  });
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      (stopped ??= (async () => {
        child.disconnect();
        await exited;
      })()),
  };
}
