import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReplicatedCorpus } from './replicated-corpus.js';

/**
 * The Napster Companion Sessions API over a replicated corpus, with the same paging, auth and errors as
 * src/demo/napster-upstream.ts. That fake keeps every detail it serves; this one builds each page and
 * detail on request, so serving 10× the corpus costs no more memory than 1×.
 */
export type ReplicaUpstream = { url: string; apiKey: string; readonly requests: number; close(): Promise<void> };

const MAX_PAGE_SIZE = 100;

export async function startReplicaUpstream(corpus: ReplicatedCorpus, apiKey = 'bench-napster-key'): Promise<ReplicaUpstream> {
  let requests = 0;

  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (req.headers['x-api-key'] !== apiKey) return send(res, 401, JSON.stringify({ message: 'Invalid API key' }));
    if (req.method !== 'GET') return send(res, 405, JSON.stringify({ message: 'Method not allowed' }));
    if (url.pathname === '/public/sessions') {
      const pageIndex = Number(url.searchParams.get('pageIndex') ?? 0);
      const pageSize = Math.min(Number(url.searchParams.get('pageSize') ?? 20), MAX_PAGE_SIZE);
      if (!Number.isInteger(pageIndex) || pageIndex < 0 || !Number.isInteger(pageSize) || pageSize < 1) {
        return send(res, 400, JSON.stringify({ message: 'Invalid paging' }));
      }
      const items: string[] = [];
      for (let position = pageIndex * pageSize; position < Math.min(corpus.total, (pageIndex + 1) * pageSize); position++) {
        items.push(corpus.summaryAt(position));
      }
      const total = corpus.total;
      return send(res, 200, `{"items":[${items.join(',')}],"filteredCount":${total},"totalCount":${total},"pageIndex":${pageIndex},"pageSize":${pageSize}}`);
    }
    const match = /^\/public\/sessions\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const detail = corpus.detail(decodeURIComponent(match[1]!));
      return detail ? send(res, 200, detail) : send(res, 404, JSON.stringify({ message: 'Session not found' }));
    }
    return send(res, 404, JSON.stringify({ message: 'Not found' }));
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
