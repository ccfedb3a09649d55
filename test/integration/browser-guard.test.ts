import { serve } from '@hono/node-server';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * Web pages in the user's browser against the API (issue 14, item 6): a page on another origin cannot
 * write (no-cors text/plain POST, cross-origin DELETE), and the open API answers only requests
 * addressed to a loopback name, so a DNS-rebound domain gets nothing. Scripts and curl are unaffected.
 */
const ADMIN_KEY = 'browser-guard-admin-key-0123456789';

let engine: TestEngine;
let open: ReturnType<typeof createApp>;
let keyed: ReturnType<typeof createApp>;

const session = (id: string) => ({
  id, companionId: 'c1', externalClientId: 'u1', tags: {}, createdAt: 1_700_000_000, startedAt: 1_700_000_000,
  closedAt: 1_700_000_050, conversation: { items: [{ role: 'user', text: 'hello there', timestamp: 1_700_000_001 }] },
});

async function stored(id: string): Promise<boolean> {
  return (await engine.client.getDocument(engine.names.sessions, id)) !== undefined;
}

async function expectRefused(response: Response, status: number, code: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(JSON.parse(text)).toEqual({ error: { code, message: expect.any(String), requestId: response.headers.get('x-request-id') } });
}

beforeAll(async () => {
  engine = await createTestEngine('browser');
  open = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  keyed = createApp({ engine: engine.client, names: engine.names, log: silentLogger, keys: new ApiKeys([{ key: ADMIN_KEY, name: 'ops', role: 'admin' }]) });
});

afterAll(async () => {
  await engine?.drop();
});

describe('writes from a page of another origin', () => {
  it('refuses the no-cors text/plain POST a page on another local port can send, and stores nothing', async () => {
    // What fetch(url, {method: 'POST', mode: 'no-cors', body}) from http://localhost:8080 sends.
    const fromPage = await open.request('http://127.0.0.1:3000/v1/sessions?wait=true', {
      method: 'POST',
      body: JSON.stringify(session('planted_by_page')),
      headers: { host: '127.0.0.1:3000', 'content-type': 'text/plain;charset=UTF-8', origin: 'http://localhost:8080', 'sec-fetch-site': 'same-site' },
    });
    await expectRefused(fromPage, 403, 'forbidden');
    // The same body from a browser that sent no Origin: still not JSON, so still refused, unread.
    const withoutOrigin = await open.request('/v1/sessions?wait=true', {
      method: 'POST',
      body: JSON.stringify(session('planted_without_origin')),
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    await expectRefused(withoutOrigin, 415, 'unsupported_media_type');
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      await expectRefused(await open.request('/v1/sessions', { method: 'POST', body: '{}', headers: { 'content-type': type } }), 415, 'unsupported_media_type');
    }
    await expectRefused(await open.request('/v1/sessions', { method: 'POST', body: '{}' }), 415, 'unsupported_media_type');
    expect(await stored('planted_by_page')).toBe(false);
    expect(await stored('planted_without_origin')).toBe(false);
    expect(await engine.client.documentCount(engine.names.sessions)).toBe(0);
  });

  it('accepts a JSON push from a script, with or without a charset, and from the same origin', async () => {
    for (const [id, headers] of [
      ['pushed_json', { 'content-type': 'application/json' }],
      ['pushed_charset', { 'content-type': 'Application/JSON; charset=utf-8' }],
      ['pushed_same_origin', { 'content-type': 'application/json', host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' }],
    ] as const) {
      const response = await open.request('/v1/sessions?wait=true', { method: 'POST', body: JSON.stringify(session(id)), headers });
      expect(response.status, await response.clone().text()).toBe(202);
      expect(await stored(id)).toBe(true);
    }
  });

  it('refuses a cross-origin DELETE and allows a same-origin one, with or without API keys', async () => {
    for (const [app, auth] of [[open, {}], [keyed, { authorization: `Bearer ${ADMIN_KEY}` }]] as const) {
      const id = `deleted_${app === open ? 'open' : 'keyed'}`;
      await open.request('/v1/sessions?wait=true', { method: 'POST', body: JSON.stringify(session(id)), headers: { 'content-type': 'application/json' } });
      const target = `http://localhost:3000/v1/sessions/${id}`;
      const host = { host: 'localhost:3000', ...auth };
      await expectRefused(await app.request(target, { method: 'DELETE', headers: { ...host, origin: 'http://evil.example' } }), 403, 'forbidden');
      await expectRefused(await app.request(target, { method: 'DELETE', headers: { ...host, origin: 'http://localhost:8080' } }), 403, 'forbidden');
      await expectRefused(await app.request(target, { method: 'DELETE', headers: { ...host, origin: 'null' } }), 403, 'forbidden');
      await expectRefused(await app.request(target, { method: 'DELETE', headers: { ...host, 'sec-fetch-site': 'cross-site' } }), 403, 'forbidden');
      expect(await stored(id)).toBe(true);
      const sameOrigin = await app.request(target, { method: 'DELETE', headers: { ...host, origin: 'http://localhost:3000', 'sec-fetch-site': 'same-origin' } });
      expect(sameOrigin.status, await sameOrigin.clone().text()).toBe(200);
      expect(await stored(id)).toBe(false);
    }
  });

  it('lets pages of other origins read nothing more than before: GETs are not refused for their Origin', async () => {
    const response = await open.request('/v1/search/turns?q=hello', { headers: { origin: 'http://localhost:8080' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the Host of requests to the open API', () => {
  const paths = ['/', '/health', '/ready', '/v1/search/turns?q=hello', '/v1/sync', '/metrics', '/openapi.json'];

  it.each(['attacker.example', 'attacker.example:3000', '127.0.0.1.attacker.example', 'localhost.attacker.example', '10.0.0.5:3000'])(
    'refuses Host: %s on every route',
    async (host) => {
      for (const path of paths) await expectRefused(await open.request(path, { headers: { host } }), 403, 'forbidden');
    },
  );

  it.each(['127.0.0.1:3000', '127.0.0.1', 'localhost', 'LOCALHOST:3000', '[::1]:3000', '127.1.2.3:8080'])('answers Host: %s', async (host) => {
    for (const path of ['/', '/health', '/v1/search/turns?q=hello']) {
      const response = await open.request(path, { headers: { host } });
      expect(response.status, `${host} ${path}`).toBe(200);
    }
  });

  it('leaves the Host to the operator when API keys protect the API (behind a proxy, under any name)', async () => {
    const response = await keyed.request('/v1/search/turns?q=hello', { headers: { host: 'search.example.com', authorization: `Bearer ${ADMIN_KEY}` } });
    expect(response.status).toBe(200);
  });

  it('refuses a DNS-rebound name over real HTTP, and answers the loopback address it listens on', async () => {
    const server = await new Promise<Server>((resolve) => {
      const instance = serve({ fetch: open.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(instance as Server));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const get = (host: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/search/turns?q=hello', headers: { host } }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode!, body }));
          });
          req.on('error', reject).end();
        });
      const rebound = await get(`attacker.example:${port}`);
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body).error.code).toBe('forbidden');
      expect(rebound.body).not.toContain('hits');
      expect((await get(`127.0.0.1:${port}`)).status).toBe(200);
      expect((await get(`localhost:${port}`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
