import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server shaped like the agent-sessions API: `GET {listPath}?page&page_size&start&end`
 * (newest first, `page_size` at most 200, absolute `next`/`previous` links, aggregate totals over the
 * filtered set) and `GET {detailPath}`, both in the `{success, message, data, errors}` envelope,
 * authenticated with `X-API-Key` or `Authorization: Bearer`. Records are served as given, so tests
 * can slip in malformed ones; `recording_presigned_url` is minted per response, as it expires.
 */
export type AgentRecord = Record<string, unknown>;

export type ListPageRequest = { page: number; pageSize: number };

export type AgentsUpstream = {
  url: string;
  apiKey: string;
  listPath: string;
  detailPath: string;
  /** Adds or replaces records by `session_id`. */
  upsert(records: Iterable<AgentRecord>): void;
  remove(sessionId: string): void;
  /** What the API holds now, newest first. */
  records(): AgentRecord[];
  /** Awaited before a list page is answered: tests change the data between page requests here. */
  beforeListPage: ((request: ListPageRequest) => void | Promise<void>) | undefined;
  readonly detailRequests: number;
  close(): Promise<void>;
};

const AGENTS_MAX_PAGE_SIZE = 200;
const USAGE_TOTALS = [
  ['total_llm_input_tokens', 'llm_input_tokens'],
  ['total_llm_output_tokens', 'llm_output_tokens'],
  ['total_stt_audio_seconds', 'stt_audio_seconds'],
  ['total_tts_characters', 'tts_characters'],
  ['total_estimated_cost_usd', 'estimated_cost_usd'],
] as const;

export async function startAgentsUpstream(options: {
  records: Iterable<AgentRecord>;
  apiKey?: string;
  listPath?: string;
  detailPath?: string;
}): Promise<AgentsUpstream> {
  const apiKey = options.apiKey ?? 'test-agents-key';
  const listPath = options.listPath ?? '/api/agents/agent-session/';
  const detailPath = options.detailPath ?? '/api/agents/agent-session/{id}/';
  const [detailPrefix, detailSuffix] = detailPath.split('{id}') as [string, string];
  const byId = new Map<string, AgentRecord>();
  let ordered: AgentRecord[] | undefined;
  let unnamed = 0;
  let detailRequests = 0;

  const keyOf = (record: AgentRecord) => (typeof record.session_id === 'string' ? record.session_id : `#unnamed-${unnamed++}`);
  const createdMs = (record: AgentRecord) => (typeof record.created_at === 'string' ? Date.parse(record.created_at) || 0 : 0);
  const newestFirst = () =>
    (ordered ??= [...byId.entries()]
      .sort(([aId, a], [bId, b]) => createdMs(b) - createdMs(a) || (aId < bId ? -1 : 1))
      .map(([, record]) => record));

  const served = (record: AgentRecord) =>
    typeof record.session_id === 'string'
      ? { ...record, recording_presigned_url: `https://recordings.example.com/${record.session_id}.ogg?X-Amz-Expires=900&X-Amz-Signature=${randomBytes(8).toString('hex')}` }
      : record;

  const send = (res: ServerResponse, status: number, envelope: { success: boolean; message: string; data: unknown; errors: unknown }) => {
    const body = JSON.stringify(envelope);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const fail = (res: ServerResponse, status: number, message: string) => send(res, status, { success: false, message, data: null, errors: [message] });

  const listPage = async (res: ServerResponse, url: URL) => {
    const page = Number(url.searchParams.get('page') ?? 1);
    const pageSize = Number(url.searchParams.get('page_size') ?? 50);
    if (!Number.isInteger(page) || page < 1) return fail(res, 400, 'page must be a whole number from 1');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > AGENTS_MAX_PAGE_SIZE) {
      return fail(res, 400, `page_size must be a whole number from 1 to ${AGENTS_MAX_PAGE_SIZE}`);
    }
    const bounds: number[] = [];
    for (const [name, fallback] of [['start', -Infinity], ['end', Infinity]] as const) {
      const text = url.searchParams.get(name);
      const value = text === null ? fallback : Date.parse(text);
      if (Number.isNaN(value)) return fail(res, 400, `${name} must be an ISO-8601 date-time`);
      bounds.push(value);
    }
    await upstream.beforeListPage?.({ page, pageSize });
    const [start, end] = bounds as [number, number];
    const filtered = newestFirst().filter((record) => createdMs(record) >= start && createdMs(record) <= end);
    const link = (target: number) => {
      const next = new URL(url.pathname, upstream.url);
      for (const [key, value] of url.searchParams) next.searchParams.set(key, value);
      next.searchParams.set('page', String(target));
      next.searchParams.set('page_size', String(pageSize));
      return next.href;
    };
    const totals: Record<string, number> = { total_sessions: filtered.length };
    for (const [total, field] of USAGE_TOTALS) {
      totals[total] = filtered.reduce((sum, record) => sum + (typeof record[field] === 'number' ? (record[field] as number) : 0), 0);
    }
    send(res, 200, {
      success: true,
      message: 'Agent sessions retrieved',
      data: {
        count: filtered.length,
        next: page * pageSize < filtered.length ? link(page + 1) : null,
        previous: page > 1 ? link(page - 1) : null,
        ...totals,
        results: filtered.slice((page - 1) * pageSize, page * pageSize).map(served),
      },
      errors: null,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (req.headers['x-api-key'] !== apiKey && req.headers.authorization !== `Bearer ${apiKey}`) return fail(res, 401, 'Invalid API key');
    if (req.method !== 'GET') return fail(res, 405, 'Method not allowed');
    if (url.pathname === listPath) return listPage(res, url);
    if (url.pathname.startsWith(detailPrefix) && url.pathname.endsWith(detailSuffix)) {
      detailRequests++;
      const id = decodeURIComponent(url.pathname.slice(detailPrefix.length, url.pathname.length - detailSuffix.length));
      const record = byId.get(id);
      if (!record) return fail(res, 404, 'Agent session not found');
      return send(res, 200, { success: true, message: 'Agent session retrieved', data: served(record), errors: null });
    }
    return fail(res, 404, 'Not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, 500, String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const upstream: AgentsUpstream = {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    listPath,
    detailPath,
    upsert(records) {
      for (const record of records) byId.set(keyOf(record), record);
      ordered = undefined;
    },
    remove(sessionId) {
      byId.delete(sessionId);
      ordered = undefined;
    },
    records: () => [...newestFirst()],
    beforeListPage: undefined,
    get detailRequests() {
      return detailRequests;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  upstream.upsert(options.records);
  return upstream;
}
