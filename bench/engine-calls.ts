import { Pool, type Dispatcher } from 'undici';
import { EngineClient } from '../src/engine/client.js';
import type { IndexNames } from '../src/engine/indexes.js';
import { createApp } from '../src/http/app.js';
import { silentLogger } from '../src/logger.js';
import type { BenchQuery } from './queries.js';

/**
 * "The same engine queries sent directly": each API query is answered once by the project's own app
 * over a client that records every engine request it makes; the benchmark then replays exactly those
 * requests (same paths, same bodies, in the same order) straight to the engine. So the direct side
 * follows the product's query building as it changes, and the difference is what the API layer costs.
 */
export type EngineCall = { method: string; path: string; body?: string | Buffer; contentType?: string };

/**
 * The engine client of the API, over a dispatcher that notes every request as it goes out: the
 * client builds its requests itself, and nothing here copies how.
 */
function recordingClient(engine: { url: string; apiKey: string }, calls: EngineCall[][]): { client: EngineClient; pool: Pool } {
  const pool = new Pool(engine.url, { connections: 8 });
  const recording = pool.compose((dispatch) => (options, handler) => {
    const headers = options.headers as Record<string, string> | undefined;
    const body = typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : undefined;
    calls.at(-1)!.push({ method: options.method, path: options.path, body, contentType: headers?.['content-type'] });
    return dispatch(options, handler);
  });
  return { client: new EngineClient({ url: engine.url, apiKey: engine.apiKey, dispatcher: recording }), pool };
}

export async function recordEngineCalls(
  engine: { url: string; apiKey: string },
  names: IndexNames,
  queries: BenchQuery[],
): Promise<Map<string, EngineCall[]>> {
  const calls: EngineCall[][] = [];
  const { client, pool } = recordingClient(engine, calls);
  const app = createApp({ engine: client, names, log: silentLogger });
  const recorded = new Map<string, EngineCall[]>();
  try {
    for (const query of queries) {
      calls.push([]);
      const response = await app.request(query.path);
      if (response.status !== 200) throw new Error(`${query.name}: ${query.path} answered ${response.status}: ${await response.text()}`);
      recorded.set(query.name, calls.at(-1)!);
    }
  } finally {
    await client.close();
    await pool.close();
  }
  return recorded;
}

/** Sends the calls one after another, as the API does, reading every body in full. */
export async function replayEngineCalls(pool: Pool, apiKey: string, calls: EngineCall[]): Promise<void> {
  for (const call of calls) {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    if (call.contentType) headers['content-type'] = call.contentType;
    const response = await pool.request({ method: call.method as Dispatcher.HttpMethod, path: call.path, headers, body: call.body });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`engine ${call.method} ${call.path} answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }
}

/** One API query, body read in full. */
export async function getApi(pool: Pool, path: string): Promise<void> {
  const response = await pool.request({ method: 'GET', path });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`API ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`);
}
