import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server shaped like the Napster Companion Sessions API, serving sessions it is given.
 * The demo feeds it synthetic sessions; tests and the benchmark feed it the shared corpus. Listing is
 * newest first, as the vendor pages; the session set can change while it runs, even between the
 * page requests of one listing (tests use that).
 */
export type NapsterRecord = { id: string; createdAt: number; [key: string]: unknown };

export type NapsterUpstream = {
  url: string;
  apiKey: string;
  /** Adds or replaces sessions by id. */
  upsert(records: NapsterRecord[]): void;
  remove(id: string): void;
  /** What the API holds now, newest first. */
  records(): NapsterRecord[];
  /** Awaited before a list page is answered. */
  beforeListPage: ((pageIndex: number, pageSize: number) => void | Promise<void>) | undefined;
  readonly requests: number;
  close(): Promise<void>;
};

type Entry = { record: NapsterRecord; detail: string };

export async function startNapsterUpstream(options: { records: Iterable<NapsterRecord>; apiKey?: string; port?: number }): Promise<NapsterUpstream> {
  const apiKey = options.apiKey ?? 'demo-napster-key';
  const byId = new Map<string, Entry>();
  let ordered: Entry[] | undefined;
  let requests = 0;

  const upsert = (records: Iterable<NapsterRecord>) => {
    for (const record of records) byId.set(record.id, { record, detail: JSON.stringify(record) });
    ordered = undefined;
  };
  upsert(options.records);

  const newestFirst = () =>
    (ordered ??= [...byId.values()].sort((a, b) => b.record.createdAt - a.record.createdAt || (a.record.id < b.record.id ? -1 : 1)));

  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (req.headers['x-api-key'] !== apiKey) return send(res, 401, JSON.stringify({ message: 'Invalid API key' }));
    if (req.method !== 'GET') return send(res, 405, JSON.stringify({ message: 'Method not allowed' }));
    if (url.pathname === '/public/sessions') {
      const pageIndex = Number(url.searchParams.get('pageIndex') ?? 0);
      const pageSize = Math.min(Number(url.searchParams.get('pageSize') ?? 20), 100);
      if (!Number.isInteger(pageIndex) || pageIndex < 0 || !Number.isInteger(pageSize) || pageSize < 1) {
        return send(res, 400, JSON.stringify({ message: 'Invalid paging' }));
      }
      await upstream.beforeListPage?.(pageIndex, pageSize);
      const all = newestFirst();
      const items = all.slice(pageIndex * pageSize, (pageIndex + 1) * pageSize).map(({ record }) => {
        const { conversation: _conversation, ...summary } = record;
        return summary;
      });
      return send(res, 200, JSON.stringify({ items, filteredCount: all.length, totalCount: all.length, pageIndex, pageSize }));
    }
    const match = /^\/public\/sessions\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const entry = byId.get(decodeURIComponent(match[1]!));
      return entry ? send(res, 200, entry.detail) : send(res, 404, JSON.stringify({ message: 'Session not found' }));
    }
    return send(res, 404, JSON.stringify({ message: 'Not found' }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, JSON.stringify({ message: String(error) })));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const upstream: NapsterUpstream = {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    upsert,
    remove: (id) => {
      byId.delete(id);
      ordered = undefined;
    },
    records: () => newestFirst().map(({ record }) => record),
    beforeListPage: undefined,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return upstream;
}
