import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * One JSON access-log line per request at info, with what an operator needs to follow a request
 * (method, route pattern, status, duration, request id) and nothing a log store must not hold:
 * no search text, no ids from the path, no API keys.
 */
const KEY = 'request-log-admin-key-0123456789';
const SECRET_QUERY = 'my card number is 4111';

let engine: TestEngine;
let lines: string[];
let app: ReturnType<typeof createApp>;

type Line = { time: string; level: string; msg: string; requestId?: string; method?: string; route?: string; status?: number; durationMs?: number };

const entries = () => lines.map((line) => JSON.parse(line) as Line);
const accessLines = () => entries().filter((entry) => entry.msg === 'request');

beforeAll(async () => {
  engine = await createTestEngine('request_log');
  lines = [];
  app = createApp({
    engine: engine.client,
    names: engine.names,
    log: createLogger('info', (line) => lines.push(line.trimEnd())),
    keys: new ApiKeys([{ key: KEY, name: 'ops', role: 'admin' }]),
  });
});

afterAll(async () => {
  await engine?.drop();
});

describe('access log', () => {
  it('writes one info line for a search, with its route and request id but not its text or key', async () => {
    lines.length = 0;
    const response = await app.request(`/v1/search/turns?q=${encodeURIComponent(`"${SECRET_QUERY}"`)}&companionId=comp_private`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(response.status).toBe(200);
    expect(accessLines()).toEqual([
      {
        time: expect.any(String),
        level: 'info',
        msg: 'request',
        requestId: response.headers.get('x-request-id'),
        method: 'GET',
        route: '/v1/search/turns',
        status: 200,
        durationMs: expect.any(Number),
      },
    ]);
    const text = lines.join('\n');
    for (const secret of [SECRET_QUERY, '4111', 'comp_private', KEY]) expect(text).not.toContain(secret);
  });

  it('logs rejected requests the same way, without the key that was refused or the bad value', async () => {
    lines.length = 0;
    const refused = await app.request(`/v1/search/turns?q=${encodeURIComponent(SECRET_QUERY)}`, { headers: { 'x-api-key': 'stolen-key-0123456789-abcdef' } });
    expect(refused.status).toBe(401);
    const invalid = await app.request(`/v1/sessions/sess_private_42?filter=${encodeURIComponent(SECRET_QUERY)}`, { headers: { 'x-api-key': KEY } });
    expect(invalid.status).toBe(400);
    expect(accessLines().map(({ route, status }) => ({ route, status }))).toEqual([
      { route: '/v1/search/turns', status: 401 },
      { route: '/v1/sessions/:id', status: 400 },
    ]);
    const text = lines.join('\n');
    for (const secret of [SECRET_QUERY, 'stolen-key', 'sess_private_42', KEY]) expect(text).not.toContain(secret);
  });

  it('keeps the request id a caller sent, so a request can be followed across services', async () => {
    lines.length = 0;
    await app.request('/health', { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(accessLines()).toMatchObject([{ requestId: 'trace-abc-123', route: '/health', status: 200 }]);
  });

  it('writes nothing below its level', async () => {
    const quiet: string[] = [];
    const warnOnly = createApp({ engine: engine.client, names: engine.names, log: createLogger('warn', (line) => quiet.push(line)) });
    await warnOnly.request('/health');
    expect(quiet).toEqual([]);
  });
});
