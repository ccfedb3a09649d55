import type { Pool } from 'undici';
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
type Method = Parameters<EngineClient['request']>[0];
type RequestOptions = NonNullable<Parameters<EngineClient['request']>[2]>;

export type EngineCall = { method: Method; path: string; body?: string | Buffer; contentType?: string };

class RecordingEngineClient extends EngineClient {
  calls: EngineCall[] = [];

  override request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    this.calls.push(engineCall(method, path, options));
    return super.request<T>(method, path, options);
  }
}

/** The request EngineClient sends for these arguments (its path and body rules, mirrored). */
function engineCall(method: Method, path: string, options: RequestOptions): EngineCall {
  let fullPath = path;
  if (options.query) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query)) if (value !== undefined) search.set(key, String(value));
    if (search.size > 0) fullPath += `?${search}`;
  }
  if (options.body === undefined) return { method, path: fullPath };
  if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
    return { method, path: fullPath, body: options.body, contentType: options.contentType ?? 'application/json' };
  }
  return { method, path: fullPath, body: JSON.stringify(options.body), contentType: 'application/json' };
}

export async function recordEngineCalls(
  engine: { url: string; apiKey: string },
  names: IndexNames,
  queries: BenchQuery[],
): Promise<Map<string, EngineCall[]>> {
  const client = new RecordingEngineClient({ url: engine.url, apiKey: engine.apiKey });
  const app = createApp({ engine: client, names, log: silentLogger });
  const recorded = new Map<string, EngineCall[]>();
  try {
    for (const query of queries) {
      client.calls = [];
      const response = await app.request(query.path);
      if (response.status !== 200) throw new Error(`${query.name}: ${query.path} answered ${response.status}: ${await response.text()}`);
      recorded.set(query.name, client.calls);
    }
  } finally {
    await client.close();
  }
  return recorded;
}

/** Sends the calls one after another, as the API does, reading every body in full. */
export async function replayEngineCalls(pool: Pool, apiKey: string, calls: EngineCall[]): Promise<void> {
  for (const call of calls) {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    if (call.contentType) headers['content-type'] = call.contentType;
    const response = await pool.request({ method: call.method, path: call.path, headers, body: call.body });
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
