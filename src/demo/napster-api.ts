import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * The HTTP side of a local Napster Companion Sessions API: `X-Api-Key`, `GET /public/sessions` with
 * `pageIndex`/`pageSize` paging (at most 100 a page) and `GET /public/sessions/{id}`, answering from a
 * catalog. The demo and the tests serve sessions held in memory (napster-upstream.ts); the benchmark
 * builds each page and detail on request, so 10× the corpus costs it no more memory than 1×.
 */

export type NapsterCatalog = {
  /** Sessions listed now. */
  total(): number;
  /** Listing summaries (JSON texts) at positions `from` to `to` (exclusive), newest first. */
  summaries(from: number, to: number): string[];
  /** One session's detail as JSON text; undefined when there is no such session. */
  detail(id: string): string | undefined;
};

export type NapsterApi = { url: string; readonly requests: number; close(): Promise<void> };

const MAX_PAGE_SIZE = 100;

export async function serveNapsterApi(
  catalog: NapsterCatalog,
  options: { apiKey: string; port?: number; beforeListPage?: (pageIndex: number, pageSize: number) => void | Promise<void> },
): Promise<NapsterApi> {
  let requests = 0;

  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (req.headers['x-api-key'] !== options.apiKey) return send(res, 401, JSON.stringify({ message: 'Invalid API key' }));
    if (req.method !== 'GET') return send(res, 405, JSON.stringify({ message: 'Method not allowed' }));
    if (url.pathname === '/public/sessions') {
      const pageIndex = Number(url.searchParams.get('pageIndex') ?? 0);
      const pageSize = Math.min(Number(url.searchParams.get('pageSize') ?? 20), MAX_PAGE_SIZE);
      if (!Number.isInteger(pageIndex) || pageIndex < 0 || !Number.isInteger(pageSize) || pageSize < 1) {
        return send(res, 400, JSON.stringify({ message: 'Invalid paging' }));
      }
      await options.beforeListPage?.(pageIndex, pageSize);
      const total = catalog.total();
      const items = catalog.summaries(Math.min(total, pageIndex * pageSize), Math.min(total, (pageIndex + 1) * pageSize));
      return send(res, 200, `{"items":[${items.join(',')}],"filteredCount":${total},"totalCount":${total},"pageIndex":${pageIndex},"pageSize":${pageSize}}`);
    }
    const match = /^\/public\/sessions\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const detail = catalog.detail(decodeURIComponent(match[1]!));
      return detail === undefined ? send(res, 404, JSON.stringify({ message: 'Session not found' })) : send(res, 200, detail);
    }
    return send(res, 404, JSON.stringify({ message: 'Not found' }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, JSON.stringify({ message: String(error) })));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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
