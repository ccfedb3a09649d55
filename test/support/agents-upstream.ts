import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that answers as the agent-sessions vendor's pages describe
 * (../shared/vendor-api/agents-list-sessions.txt, agents-session-transcript.txt), built from their
 * words, not from our client:
 * - every answer is the standard envelope `{ success, message, data, errors }`;
 * - list: `GET {listPath}` with `character_slug`, `tenant_id`, `start`, `end` (inclusive bounds on
 *   `created_at`; a malformed one is 400), `page` (1-based, default 1), `page_size` (default 50, max
 *   200); `data` holds the aggregate totals of the filtered set beside `sessions`, whose `data` are full
 *   AgentSessionSummary objects and whose `pagination` has absolute `next`/`previous` URLs and `count`,
 *   the total before pagination;
 * - detail: `GET {detailPath}` (`{id}` a UUID, else 400; 404 for a session that does not exist or that
 *   the caller may not see);
 * - auth: `X-API-Key` or `Authorization: Bearer`; 401 otherwise. Staff see every session; other callers
 *   only the sessions of the characters they created, silently (a list filtered by a character they
 *   do not own is a 200 with an empty `sessions.data`);
 * - `recording_presigned_url` is signed afresh into every answer for sessions with a recording and
 *   expires; the fake serves the audio behind it (a generated WAV as long as the call) until then.
 * Records are served as given, so tests can slip in malformed ones.
 */
export type AgentRecord = Record<string, unknown>;

export type ListPageRequest = { page: number; pageSize: number };

/** Who a key is: staff see everything, other callers the characters they created. */
export type AgentsCaller = { staff: true } | { characters: string[] };

export type AgentsUpstream = {
  url: string;
  /** The staff key. */
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
  /** Requests for recordings, and how many of them were refused (expired or forged links). */
  readonly recordingRequests: { served: number; refused: number };
  close(): Promise<void>;
};

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
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
  /** More keys and who they are; `apiKey` is always staff. */
  callers?: Record<string, AgentsCaller>;
  /** Lifetime of the presigned recording links. Default 900 s. */
  presignSeconds?: number;
  /** Unix milliseconds; tests move it to expire links. Default Date.now. */
  now?: () => number;
  /** A harmless variant a real server may send: `count` beside `pagination` instead of inside it. */
  countBesidePagination?: boolean;
}): Promise<AgentsUpstream> {
  const apiKey = options.apiKey ?? 'test-agents-key';
  const callers = new Map<string, AgentsCaller>([[apiKey, { staff: true }], ...Object.entries(options.callers ?? {})]);
  const listPath = options.listPath ?? '/api/agents/agent-session/';
  const detailPath = options.detailPath ?? '/api/agents/agent-session/{id}/';
  const [detailPrefix, detailSuffix] = detailPath.split('{id}') as [string, string];
  const presignSeconds = options.presignSeconds ?? 900;
  const now = options.now ?? Date.now;
  const signingSecret = randomBytes(32);
  const byId = new Map<string, AgentRecord>();
  let ordered: AgentRecord[] | undefined;
  let unnamed = 0;
  let detailRequests = 0;
  const recordingRequests = { served: 0, refused: 0 };

  const keyOf = (record: AgentRecord) => (typeof record.session_id === 'string' ? record.session_id : `#unnamed-${unnamed++}`);
  const createdMs = (record: AgentRecord) => (typeof record.created_at === 'string' ? Date.parse(record.created_at) || 0 : 0);
  const newestFirst = () =>
    (ordered ??= [...byId.entries()]
      .sort(([aId, a], [bId, b]) => createdMs(b) - createdMs(a) || (aId < bId ? -1 : 1))
      .map(([, record]) => record));
  const visibleTo = (caller: AgentsCaller, record: AgentRecord) =>
    'staff' in caller || caller.characters.includes(String(record.character_slug));

  const signature = (sessionId: string, expires: number) => createHmac('sha256', signingSecret).update(`${sessionId}\n${expires}`).digest('hex');
  const served = (record: AgentRecord): AgentRecord => {
    if (typeof record.session_id !== 'string' || !record.recording_url) return record;
    const expires = Math.floor(now() / 1000) + presignSeconds;
    const query = `expires=${expires}&signature=${signature(record.session_id, expires)}`;
    return { ...record, recording_presigned_url: `${upstream.url}/recordings/${encodeURIComponent(record.session_id)}.wav?${query}` };
  };

  const send = (res: ServerResponse, status: number, envelope: { success: boolean; message: string; data: unknown; errors: unknown }) => {
    const body = JSON.stringify(envelope);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const fail = (res: ServerResponse, status: number, message: string) => send(res, status, { success: false, message, data: null, errors: [message] });

  const listPage = async (res: ServerResponse, url: URL, caller: AgentsCaller) => {
    const page = Number(url.searchParams.get('page') ?? 1);
    const pageSize = Math.min(Number(url.searchParams.get('page_size') ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    if (!Number.isInteger(page) || page < 1) return fail(res, 400, 'page must be a whole number from 1');
    if (!Number.isInteger(pageSize) || pageSize < 1) return fail(res, 400, 'page_size must be a whole number from 1');
    const bounds: number[] = [];
    for (const [name, fallback] of [['start', -Infinity], ['end', Infinity]] as const) {
      const text = url.searchParams.get(name);
      if (text !== null && (!ISO_DATE_TIME.test(text) || Number.isNaN(Date.parse(text)))) return fail(res, 400, `Malformed ${name} datetime`);
      bounds.push(text === null ? fallback : Date.parse(text));
    }
    await upstream.beforeListPage?.({ page, pageSize });
    const [start, end] = bounds as [number, number];
    const character = url.searchParams.get('character_slug');
    const tenant = url.searchParams.get('tenant_id');
    const filtered = newestFirst().filter(
      (record) =>
        visibleTo(caller, record) &&
        (character === null || record.character_slug === character) &&
        (tenant === null || record.tenant_id === tenant) &&
        createdMs(record) >= start &&
        createdMs(record) <= end,
    );
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
    const pagination = {
      next: page * pageSize < filtered.length ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      ...(options.countBesidePagination ? {} : { count: filtered.length }),
    };
    send(res, 200, {
      success: true,
      message: 'Agent sessions retrieved',
      data: {
        ...totals,
        sessions: {
          data: filtered.slice((page - 1) * pageSize, page * pageSize).map(served),
          pagination,
          ...(options.countBesidePagination ? { count: filtered.length } : {}),
        },
      },
      errors: null,
    });
  };

  const recording = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const id = decodeURIComponent(url.pathname.slice('/recordings/'.length, -'.wav'.length));
    const expires = Number(url.searchParams.get('expires'));
    const given = Buffer.from(url.searchParams.get('signature') ?? '', 'utf8');
    const expected = Buffer.from(signature(id, expires), 'utf8');
    const record = byId.get(id);
    if (!record || given.length !== expected.length || !timingSafeEqual(given, expected) || expires * 1000 < now()) {
      recordingRequests.refused++;
      res.writeHead(403, { 'content-type': 'application/xml' });
      return res.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    }
    recordingRequests.served++;
    const audio = wavOfSeconds(Number(record.session_duration_seconds ?? 0) || 60);
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const from = Number(range[1]);
      const to = Math.min(range[2] ? Number(range[2]) : audio.length - 1, audio.length - 1);
      res.writeHead(206, { 'content-type': 'audio/wav', 'accept-ranges': 'bytes', 'content-range': `bytes ${from}-${to}/${audio.length}`, 'content-length': to - from + 1 });
      return res.end(audio.subarray(from, to + 1));
    }
    res.writeHead(200, { 'content-type': 'audio/wav', 'accept-ranges': 'bytes', 'content-length': audio.length });
    res.end(audio);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (req.method === 'GET' && url.pathname.startsWith('/recordings/') && url.pathname.endsWith('.wav')) return recording(req, res, url);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const presented = (req.headers['x-api-key'] as string | undefined) ?? bearer;
    const caller = presented === undefined ? undefined : callers.get(presented);
    if (!caller) return fail(res, 401, 'Invalid or inactive API key');
    if (req.method !== 'GET') return fail(res, 405, 'Method not allowed');
    if (url.pathname === listPath) return listPage(res, url, caller);
    if (url.pathname.startsWith(detailPrefix) && url.pathname.endsWith(detailSuffix)) {
      detailRequests++;
      const id = decodeURIComponent(url.pathname.slice(detailPrefix.length, url.pathname.length - detailSuffix.length));
      if (!UUID.test(id)) return fail(res, 400, 'session_id is not a valid UUID');
      const record = byId.get(id);
      if (!record || !visibleTo(caller, record)) return fail(res, 404, 'Agent session not found');
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
    recordingRequests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  upstream.upsert(options.records);
  return upstream;
}

/** A quiet 8 kHz, 8-bit mono WAV of this many seconds: small, and any browser can play and seek it. */
function wavOfSeconds(seconds: number): Buffer {
  const rate = 8_000;
  const samples = Math.ceil(Math.min(seconds, 3_600) * rate);
  const wav = Buffer.alloc(44 + samples, 128);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate, 28);
  wav.writeUInt16LE(1, 32);
  wav.writeUInt16LE(8, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples, 40);
  // A faint 440 Hz tone: silence is a valid recording too, but a tone shows the player is playing.
  for (let i = 0; i < samples; i++) wav[44 + i] = 128 + Math.round(8 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return wav;
}
