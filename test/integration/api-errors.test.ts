import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client.js';
import { indexNames } from '../../src/engine/indexes.js';
import { createApp } from '../../src/http/app.js';
import { MAX_BODY_BYTES } from '../../src/http/body-limit.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * Every bad request gets a 4xx in the contract's error shape, naming what was wrong; the engine being
 * down gets a 503 in the same shape. Nothing here may answer 5xx for the caller's mistake.
 */
let engine: TestEngine;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  engine = await createTestEngine('errors');
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
});

afterAll(async () => {
  await engine?.drop();
});

async function expectError(response: Response, status: number, code: string, mentions?: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string; requestId: string } };
  expect(body).toEqual({ error: { code, message: expect.any(String), requestId: expect.any(String) } });
  expect(body.error.requestId).toBe(response.headers.get('x-request-id'));
  if (mentions) expect(body.error.message).toContain(mentions);
  expect(text).not.toMatch(/\n\s+at /); // no stack trace
}

const badSearches: Array<[string, string]> = [
  ['facets=companionId,nope', 'facets'],
  ['facets=text', 'facets'],
  ['from=yesterday', 'from'],
  ['to=2026-13-45', 'to'],
  ['from=2026-02-01&to=2026-01-01', 'from'],
  ['page=0', 'page'],
  ['page=-1', 'page'],
  ['page=abc', 'page'],
  ['hitsPerPage=10000', 'hitsPerPage'],
  ['hitsPerPage=0', 'hitsPerPage'],
  ['hitsPerPage=1.5', 'hitsPerPage'],
  [`q=${'a'.repeat(513)}`, "'q'"],
  ['q=a&q=b', "'q'"],
  ['sort=best', 'sort'],
  ['role=robot', 'role'],
  ['role=user&role=agent', 'role'],
  ['tag=nocolon', 'tag'],
  ['tag=:value', 'tag'],
  ['companionId=', 'companionId'],
  ['companionId=a%00b', 'companionId'],
  ['companion=x', 'companion'],
  ['context=1', 'context'], // sessions only: context is a turns parameter
];

describe('search parameters', () => {
  it.each(badSearches)('GET /v1/search/sessions?%s → 400 naming %s', async (query, name) => {
    await expectError(await app.request(`/v1/search/sessions?${query}`), 400, 'bad_request', name);
  });

  it.each([
    ['context=6', 'context'],
    ['context=-1', 'context'],
    ['facets=companionId,bogus', 'facets'],
    ['hitsPerPage=101', 'hitsPerPage'],
  ])('GET /v1/search/turns?%s → 400 naming %s', async (query, name) => {
    await expectError(await app.request(`/v1/search/turns?${query}`), 400, 'bad_request', name);
  });

  it('rejects facet value search on an unknown facet and unknown parameters', async () => {
    await expectError(await app.request('/v1/facets/text?q=a'), 400, 'bad_request', 'text');
    await expectError(await app.request('/v1/facets/companionId?prefix=a'), 400, 'bad_request', 'prefix');
    await expectError(await app.request(`/v1/facets/companionId?q=${'x'.repeat(201)}`), 400, 'bad_request', "'q'");
  });
});

describe('resources and routes', () => {
  it('answers 404 for an unknown route, session or client', async () => {
    await expectError(await app.request('/v1/nothing-here'), 404, 'not_found');
    await expectError(await app.request('/v1/sessions/missing'), 404, 'not_found');
    await expectError(await app.request('/v1/sessions/missing', { method: 'DELETE' }), 404, 'not_found');
    await expectError(await app.request('/v1/forgotten-clients/nobody', { method: 'DELETE' }), 404, 'not_found');
  });

  it('rejects a push that is not JSON, or too large, without storing anything', async () => {
    const post = (body: string, query = '') => app.request(`/v1/sessions${query}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    await expectError(await post('{not json'), 400, 'bad_request', 'JSON');
    await expectError(await post('[]', '?wait=maybe'), 400, 'bad_request', 'wait');
    await expectError(await post('{}', '?force=true'), 400, 'bad_request', 'force');
    await expectError(await post(JSON.stringify(Array.from({ length: 5_001 }, () => ({})))), 400, 'bad_request', '5000');
    await expectError(await post('x'.repeat(MAX_BODY_BYTES + 1)), 413, 'payload_too_large');
    expect(await engine.client.documentCount(engine.names.sessions)).toBe(0);
  });

  it('accepts the valid records of a push and lists the rejected ones by index', async () => {
    const good = {
      id: 'sess_push_ok', companionId: 'c1', externalClientId: 'u1', tags: {}, createdAt: 1_700_000_000, startedAt: 1_700_000_000,
      closedAt: 1_700_000_050, conversation: { items: [{ role: 'user', text: 'hello there', timestamp: 1_700_000_001 }] },
    };
    const response = await app.request('/v1/sessions?wait=true', {
      method: 'POST',
      body: JSON.stringify([good, { id: 'sess_bad', conversation: 'nope' }, 42, good]),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { accepted: number; rejected: Array<{ index: number; error: string }> };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(body.rejected[0]!.error).toContain('conversation');
    expect(await engine.client.documentCount(engine.names.sessions)).toBe(1);
  });

  it('refuses POST /v1/sync when no source is configured, and bad sync parameters', async () => {
    await expectError(await app.request('/v1/sync', { method: 'POST' }), 400, 'bad_request', 'source');
    await expectError(await app.request('/v1/sync?source=zendesk', { method: 'POST' }), 400, 'bad_request', 'source');
    await expectError(await app.request('/v1/sync?full=yes', { method: 'POST' }), 400, 'bad_request', 'full');
  });

  it('keeps a caller-supplied request id only when it is a plain token', async () => {
    const kept = await app.request('/v1/sessions/missing', { headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
    const replaced = await app.request('/v1/sessions/missing', { headers: { 'x-request-id': 'bad id\u0001<script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('engine refusing a request', () => {
  it('answers 502 without passing on the engine message, which may quote the filter', async () => {
    const missing = createApp({ engine: engine.client, names: indexNames('never_created_'), log: silentLogger });
    const response = await missing.request('/v1/search/turns?q=hello&companionId=secret_companion');
    const text = await response.clone().text();
    await expectError(response, 502, 'engine_error');
    expect(text).not.toMatch(/never_created_|secret_companion/);
  });
});

describe('engine down', () => {
  let downApp: ReturnType<typeof createApp>;
  let downEngine: EngineClient;
  let downUrl: string;
  const logged: string[] = [];

  beforeAll(async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    downUrl = `http://127.0.0.1:${port}`;
    downEngine = new EngineClient({ url: downUrl, apiKey: 'none' });
    downApp = createApp({ engine: downEngine, names: indexNames('down_'), log: createLogger('error', (line) => logged.push(line)) });
  });

  afterAll(async () => {
    await downEngine.close();
  });

  it('answers 503 in the error shape on search, detail and facets, and /ready says so', async () => {
    for (const url of ['/v1/search/turns?q=hello', '/v1/search/sessions?q=hello', '/v1/sessions/abc', '/v1/facets/companionId']) {
      await expectError(await downApp.request(url), 503, 'engine_unavailable');
    }
    const ready = await downApp.request('/ready');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', engine: 'unavailable' });
    expect((await downApp.request('/health')).status).toBe(200);
  });

  it("keeps the engine's address out of the 503 body, and logs it for the operator", async () => {
    logged.length = 0;
    const response = await downApp.request('/v1/search/turns?q=hello');
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(text).not.toContain(downUrl.slice('http://'.length));
    expect(text).not.toContain('127.0.0.1');
    expect(JSON.parse(text).error.message).toBe('The search engine is unavailable; try again later');
    expect(logged.join('\n')).toContain(downUrl);
  });

  it('still validates parameters first: a bad request is 400 even while the engine is down', async () => {
    await expectError(await downApp.request('/v1/search/turns?page=0'), 400, 'bad_request', 'page');
  });
});
