import { serveNapsterApi } from './napster-api.js';

/*
 * A local HTTP server shaped like the Napster Companion Sessions API, serving sessions it is given.
 * The demo feeds it synthetic sessions; tests feed it the shared corpus. Listing is newest first, as
 * the vendor pages; the session set can change while it runs, even between the page requests of one
 * listing (tests use that).
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

type Entry = { record: NapsterRecord; summary: string; detail: string };

export async function startNapsterUpstream(options: { records: Iterable<NapsterRecord>; apiKey?: string; port?: number }): Promise<NapsterUpstream> {
  const apiKey = options.apiKey ?? 'demo-napster-key';
  const byId = new Map<string, Entry>();
  let ordered: Entry[] | undefined;

  const upsert = (records: Iterable<NapsterRecord>) => {
    for (const record of records) {
      const { conversation: _conversation, ...summary } = record;
      byId.set(record.id, { record, summary: JSON.stringify(summary), detail: JSON.stringify(record) });
    }
    ordered = undefined;
  };
  upsert(options.records);

  const newestFirst = () =>
    (ordered ??= [...byId.values()].sort((a, b) => b.record.createdAt - a.record.createdAt || (a.record.id < b.record.id ? -1 : 1)));

  const api = await serveNapsterApi(
    {
      total: () => byId.size,
      summaries: (from, to) => newestFirst().slice(from, to).map((entry) => entry.summary),
      detail: (id) => byId.get(id)?.detail,
    },
    { apiKey, port: options.port, beforeListPage: (pageIndex, pageSize) => upstream.beforeListPage?.(pageIndex, pageSize) },
  );
  const upstream: NapsterUpstream = {
    url: api.url,
    apiKey,
    upsert,
    remove: (id) => {
      byId.delete(id);
      ordered = undefined;
    },
    records: () => newestFirst().map(({ record }) => record),
    beforeListPage: undefined,
    get requests() {
      return api.requests;
    },
    close: () => api.close(),
  };
  return upstream;
}
