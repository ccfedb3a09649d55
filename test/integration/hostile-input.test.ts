import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * Generated malformed requests against every endpoint: each answer is a 2xx (the input happened to be
 * valid) or a 4xx in the contract's error shape — never a 5xx — and the service keeps answering.
 */
let engine: TestEngine;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  engine = await createTestEngine('hostile');
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
});

afterAll(async () => {
  await engine?.drop();
});

const PARAM_NAMES = ['q', 'companionId', 'externalClientId', 'tenantId', 'tag', 'role', 'from', 'to', 'sort', 'page', 'hitsPerPage', 'facets', 'context', 'wait'];

/** Values that have broken parsers before: edges of numbers and dates, filter syntax, encodings. */
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '', ' ', '0', '-1', '1e309', 'NaN', 'Infinity', '9'.repeat(400), '1.5', '0x10', '٣', '２',
    '2026-02-30', '2026-13-01', '9999-12-31T23:59:59Z', '-000001-01-01', '1970-01-01T00:00:00+25:00',
    "x' OR companionId != 'x", 'a\\\' OR 1=1', '"', '\\', '"unterminated', '""', 'IN [', ')', 'NOT', 'EXISTS',
    'companionId', ':', 'k:', ':v', 'a:b:c', '\u0000', '\u202e', '\ud800', '\uffff', '🙂'.repeat(300), 'x'.repeat(100_000),
    'relevance,newest', 'companionId,companionId', ',', 'tags,,role', 'user\n', 'assistant',
  ),
);

/** Raw query strings, including percent-encodings that are not valid UTF-8. */
const rawValue = fc.oneof(
  nasty.map((value) => encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '?'))),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%FF', '%00', '+', '%2B%2B', '&&', '=='),
);

const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...PARAM_NAMES), fc.string({ maxLength: 8 })), rawValue), { maxLength: 6 })
  .map((pairs) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${value}`).join('&'));

const pathSegment = fc.oneof(rawValue, fc.constantFrom('..', '.', '%2F', 'companionId', 'tags', 'role', 'text'));

async function expectHandled(response: Response, label: string) {
  const text = await response.text();
  expect(response.status, `${label} → ${response.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  const body = JSON.parse(text) as { error?: { code: string; message: string; requestId: string } };
  if (response.status >= 400) {
    expect(body.error, label).toEqual({ code: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
  }
}

describe('hostile requests', () => {
  it('search endpoints: never a 5xx for any combination of parameters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('turns', 'sessions'), queryString, async (kind, query) => {
        const url = `/v1/search/${kind}?${query}`;
        await expectHandled(await app.request(url), url);
      }),
      { numRuns: 300, seed: 4_242 },
    );
  });

  it('facet values, session detail and deletion: never a 5xx for any path or parameters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET /v1/facets/', 'GET /v1/sessions/', 'DELETE /v1/sessions/', 'DELETE /v1/clients/'), pathSegment, queryString, async (route, segment, query) => {
        const [method, prefix] = route.split(' ') as [string, string];
        const url = `${prefix}${segment}?${query}`;
        await expectHandled(await app.request(url, { method }), `${method} ${url}`);
      }),
      { numRuns: 200, seed: 99 },
    );
  });

  it('push: never a 5xx for any body, and the service keeps answering', async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ id: value, conversation: value, session_id: undefined })),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ session_id: 'hostile', created_at: value, transcript: value })),
      fc.constantFrom('', 'null', '[]', '[null]', '{"__proto__":{"x":1}}', '[' .repeat(10_000), '{"id":"a","conversation":{"items":[{"role":"user","text":"\\ud800"}]},"createdAt":1}'),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('', '?wait=true', '?wait=1', '?x=y'), async (payload, query) => {
        const url = `/v1/sessions${query}`;
        await expectHandled(await app.request(url, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } }), `POST ${url} ${payload.slice(0, 80)}`);
      }),
      { numRuns: 150, seed: 7 },
    );
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/v1/search/turns?q=hello')).status).toBe(200);
  });

  it('refuses an oversized body with 413, whatever its content type', async () => {
    for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
      const response = await app.request('/v1/sessions', { method: 'POST', body: 'x'.repeat(33 * 1024 * 1024), headers: { 'content-type': type } });
      await expectHandled(response, `413 ${type}`);
      expect(response.status).toBe(413);
    }
  });
});
