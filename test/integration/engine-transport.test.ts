import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client.js';
import { freeLoopbackPort } from '../../src/engine/embedded.js';
import { EngineError, EngineUnavailableError } from '../../src/errors.js';

/**
 * How the engine client reads answers and reports failures that a healthy Meilisearch never produces
 * but a network or a proxy in front of one does: bodies cut off mid-way, non-JSON gateway errors,
 * answers split into many small chunks. The search behaviour itself is tested against the real engine.
 */
let server: http.Server;
let client: EngineClient;

const routes: Record<string, (res: http.ServerResponse) => void> = {
  '/chunked-utf8': (res) => {
    // "é" and "€" split across writes: decoding per chunk would corrupt them.
    const bytes = Buffer.from(JSON.stringify({ text: 'café costs 5 €'.repeat(200) }));
    res.writeHead(200, { 'content-type': 'application/json' });
    let offset = 0;
    const next = () => {
      if (offset >= bytes.length) return res.end();
      res.write(bytes.subarray(offset, offset + 7));
      offset += 7;
      setImmediate(next);
    };
    next();
  },
  '/cut': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"hits":[');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  '/gateway': (res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html>bad gateway</html>');
  },
  '/refused': (res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Attribute `x` is not filterable.', code: 'invalid_search_filter', type: 'invalid_request' }));
  },
  '/empty': (res) => {
    res.writeHead(204);
    res.end();
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) route(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new EngineClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('engine client transport', () => {
  it('joins a body that arrives in many chunks before decoding it', async () => {
    const answer = await client.request<{ text: string }>('GET', '/chunked-utf8');
    expect(answer.text).toBe('café costs 5 €'.repeat(200));
  });

  it('reports a body cut off mid-way as a lost connection', async () => {
    const error = await client.request('GET', '/cut').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect((error as Error).message).toMatch(/^Search engine connection lost: /);
  });

  it('reports nothing listening as unreachable', async () => {
    const port = await freeLoopbackPort();
    const nowhere = new EngineClient({ url: `http://127.0.0.1:${port}` });
    try {
      const error = await nowhere.request('GET', '/health').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EngineUnavailableError);
      expect((error as Error).message).toMatch(new RegExp(`^Search engine unreachable at http://127.0.0.1:${port}: ECONNREFUSED`));
    } finally {
      await nowhere.close();
    }
  });

  it('treats a non-JSON 5xx from a proxy as the engine being unavailable', async () => {
    const error = await client.request('GET', '/gateway').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect((error as Error).message).toBe('Search engine answered 502: <html>bad gateway</html>');
  });

  it("keeps the engine's own error code and message", async () => {
    const error = await client.request('GET', '/refused').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ engineCode: 'invalid_search_filter', message: 'Attribute `x` is not filterable.' });
  });

  it('returns undefined for an empty answer', async () => {
    expect(await client.request('GET', '/empty')).toBeUndefined();
  });

  it('does not reuse a connection on which the engine refused an upload before reading it: the next request answers', async () => {
    // A peer that answers an upload 413 at once, keeps the connection open and stops reading, as an
    // engine refusing an oversized batch can; reused, that connection held the next request 120 s.
    let connections = 0;
    const peer = net.createServer((socket) => {
      connections++;
      let head = '';
      socket.on('data', (chunk) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        if (head.startsWith('POST')) {
          socket.pause();
          const body = JSON.stringify({ message: 'The provided payload reached the size limit.', code: 'payload_too_large' });
          socket.write(`HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        } else {
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 23\r\n\r\n{"status":"available"}\n');
        }
        head = '';
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const single = new EngineClient({ url: `http://127.0.0.1:${(peer.address() as AddressInfo).port}`, connections: 1, timeoutMs: 60_000 });
    try {
      const refused = await single.addDocumentsNdjson('turns', [Buffer.alloc(16 * 1024 * 1024, 'a')], 'id').catch((caught: unknown) => caught);
      expect(refused).toMatchObject({ engineCode: 'payload_too_large', httpStatus: 413 });
      expect(await single.isHealthy()).toBe(true);
      expect(connections).toBe(2);
    } finally {
      await single.close().catch(() => undefined);
      peer.close();
    }
  });
});
