import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/**
 * A real HTTP proxy in front of a vendor fake that breaks a share of the requests the way vendor APIs
 * and networks do. Faults are drawn from a seeded generator, so a failing run can be replayed, and
 * counted per kind, so a test can check the client's retry accounting against what was injected.
 */
export type FaultKind =
  | '429' // rate limited, with Retry-After
  | 'burst' // this and the next two requests answer 502/503
  | 'reset' // the connection is destroyed without an answer
  | 'truncated' // 200 with half a JSON body
  | 'slow' // the answer comes after the client's timeout
  | 'extra-fields' // unknown fields added everywhere: must be accepted
  | 'missing-optional' // optional fields removed: must be accepted
  | 'wrong-type'; // one record's field has the wrong type: that record is skipped and reported

export const RETRYABLE_FAULTS: readonly FaultKind[] = ['429', 'burst', 'reset', 'truncated', 'slow'];

export type FaultProxy = {
  url: string;
  /** Faults injected so far, per kind (a burst counts each failed request). */
  readonly injected: Record<FaultKind, number>;
  /** Session ids whose record was given a wrong type, in a list page or a detail. */
  readonly corrupted: Set<string>;
  setRate(rate: number): void;
  close(): Promise<void>;
};

export async function startFaultProxy(options: {
  target: string;
  rate: number;
  seed: number;
  kinds: readonly FaultKind[];
  /** How long a `slow` answer is held: longer than the client's timeout. */
  slowMs: number;
}): Promise<FaultProxy> {
  let state = options.seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  let rate = options.rate;
  let burstLeft = 0;
  const injected = Object.fromEntries(options.kinds.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  const corrupted = new Set<string>();

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let kind: FaultKind | undefined;
    if (burstLeft > 0) {
      burstLeft--;
      injected.burst++;
      return send(res, burstLeft % 2 ? 502 : 503, '{"message":"upstream unavailable"}');
    }
    if (random() < rate) kind = options.kinds[Math.floor(random() * options.kinds.length)];
    if (kind === '429') {
      injected['429']++;
      return send(res, 429, '{"message":"slow down"}', { 'retry-after': '1' });
    }
    if (kind === 'burst') {
      injected.burst++;
      burstLeft = 2;
      return send(res, 503, '{"message":"upstream unavailable"}');
    }
    if (kind === 'reset') {
      injected.reset++;
      return req.socket.destroy();
    }
    // Only what the vendor fakes look at; the client's own connection headers stay with this hop.
    const headers: Record<string, string> = {};
    for (const name of ['x-api-key', 'authorization', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = await request(`${options.target}${req.url}`, { method: 'GET', headers });
    const text = await upstream.body.text();
    if (upstream.statusCode !== 200) return send(res, upstream.statusCode, text);
    if (kind === 'truncated') {
      injected.truncated++;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(text.slice(0, Math.floor(text.length / 2)));
    }
    if (kind === 'slow') {
      injected.slow++;
      await new Promise((resolve) => setTimeout(resolve, options.slowMs));
      if (!res.destroyed) send(res, 200, text);
      return;
    }
    if (kind === 'extra-fields' || kind === 'missing-optional' || kind === 'wrong-type') {
      injected[kind]++;
      return send(res, 200, JSON.stringify(drift(JSON.parse(text), kind, corrupted)));
    }
    return send(res, 200, text);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    injected,
    corrupted,
    setRate: (value) => {
      rate = value;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Json = Record<string, unknown>;

/** Changes a Napster list page (`items`) or session detail (`conversation`) as vendors drift. */
function drift(body: Json, kind: 'extra-fields' | 'missing-optional' | 'wrong-type', corrupted: Set<string>): Json {
  const records = Array.isArray(body.items) ? (body.items as Json[]) : [body];
  if (kind === 'extra-fields') {
    body.apiVersion = '2099-01-01';
    for (const record of records) {
      record.sentiment = { score: 0.4, label: 'neutral' };
      const items = (record.conversation as { items?: Json[] } | undefined)?.items;
      for (const item of items ?? []) item.confidence = 0.97;
    }
  } else if (kind === 'missing-optional') {
    for (const record of records) {
      delete record.functions;
      delete record.knowledgeBaseId;
      delete record.faqIds;
    }
  } else {
    const record = records[0];
    if (!record) return body;
    corrupted.add(record.id as string);
    const items = (record.conversation as { items?: Json[] } | undefined)?.items;
    if (items?.[0]) items[0].text = 12_345;
    else record.createdAt = 'yesterday';
  }
  return body;
}
