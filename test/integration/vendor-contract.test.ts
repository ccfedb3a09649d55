import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentsSource } from '../../src/sources/agents/client.js';
import { createNapsterSource } from '../../src/sources/napster/client.js';
import type { ListedSession, ListingProblem, SessionSource } from '../../src/sources/source.js';
import { startAgentsUpstream } from '../support/agents-upstream.js';

/**
 * The vendors' own example responses (../shared/vendor-api/) through the real source code: the
 * Napster examples verbatim from test/fixtures/vendor-api/, the agents answers built from the words
 * of its pages. Each test serves them over real HTTP and checks what the source makes of them.
 */
const FIXTURES = new URL('../fixtures/vendor-api/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

type Answer = { status: number; body: string };
let server: Server | undefined;
const requests: Array<{ path: string; headers: IncomingMessage['headers'] }> = [];

async function serve(answer: (url: URL) => Answer): Promise<string> {
  requests.length = 0;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://vendor');
    requests.push({ path: `${url.pathname}${url.search}`, headers: req.headers });
    const { status, body } = answer(url);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

const FAST = { rps: 1_000, concurrency: 2, http: { maxRetries: 0 } };

async function listAll(source: SessionSource): Promise<Array<ListedSession | ListingProblem>> {
  const entries: Array<ListedSession | ListingProblem> = [];
  for await (const entry of source.list()) entries.push(entry);
  return entries;
}

describe('Napster Companion Sessions API, the examples of its page verbatim', () => {
  it('lists the example page and loads the example detail into the canonical session', async () => {
    const url = await serve((request) =>
      request.pathname === '/public/sessions'
        ? { status: 200, body: fixture('napster-list-example.json') }
        : request.pathname === '/public/sessions/sess_abc123'
          ? { status: 200, body: fixture('napster-detail-example.json') }
          : { status: 404, body: '{}' },
    );
    const source = createNapsterSource({ apiKey: 'napster-key', baseUrl: url, ...FAST });
    try {
      const entries = await listAll(source);
      expect(entries).toHaveLength(1);
      const [entry] = entries as ListedSession[];
      expect(entry).toMatchObject({ sessionId: 'sess_abc123', createdAt: 1710000000, inProgress: false });
      expect(await entry!.load()).toEqual({
        sessionId: 'sess_abc123',
        source: 'napster',
        companionId: 'comp_abc123',
        externalClientId: 'user_12345',
        tenantId: null,
        tags: { environment: 'production' },
        createdAt: 1710000000,
        startedAt: 1710000005,
        closedAt: 1710000300,
        durationSeconds: null,
        functions: ['fn_def456'],
        knowledgeBaseId: 'kb_abc123',
        faqIds: ['faq_abc123'],
        usage: { llmInputTokens: null, llmOutputTokens: null, sttAudioSeconds: null, ttsCharacters: null, costUsd: null, interruptionCount: null },
        hasRecording: false,
        recordingUrl: null,
        turns: [
          { turnIndex: 0, role: 'agent', text: 'Hi there! How can I help you today?', timestamp: 1710000006, offsetSeconds: 1 },
          { turnIndex: 1, role: 'user', text: "I'd like to check the status of my order.", timestamp: 1710000010, offsetSeconds: 5 },
          {
            turnIndex: 2,
            role: 'agent',
            text: 'Let me look that up for you. Your order #ORD-7890 shipped yesterday and is expected to arrive by Friday.',
            timestamp: 1710000015,
            offsetSeconds: 10,
          },
        ],
      });
      // Zero-based pages, the key in X-Api-Key, and the page's filteredCount ends the walk.
      expect(requests.map((request) => request.path)).toEqual(['/public/sessions?pageIndex=0&pageSize=100', '/public/sessions/sess_abc123']);
      expect(requests.every((request) => request.headers['x-api-key'] === 'napster-key')).toBe(true);
      // The walk lists what filteredCount counts; that is the total the index is compared with.
      expect(await source.totals()).toEqual({ sessions: 1 });
    } finally {
      await source.close();
    }
  });

  it('fails on a list page of another shape, naming the documented one, instead of reading it as empty', async () => {
    const url = await serve(() => ({ status: 200, body: JSON.stringify({ data: [], total: 0 }) }));
    const source = createNapsterSource({ apiKey: 'napster-key', baseUrl: url, ...FAST });
    try {
      await expect(listAll(source)).rejects.toThrow(/session list page 0 is not the documented list answer \{items: .*\}: items: /);
    } finally {
      await source.close();
    }
  });

  it('takes a 404 detail for a session gone since it was listed', async () => {
    const url = await serve(() => ({ status: 404, body: '{"message":"Session not found"}' }));
    const source = createNapsterSource({ apiKey: 'napster-key', baseUrl: url, ...FAST });
    try {
      expect(await source.loadById('sess_gone')).toBeUndefined();
    } finally {
      await source.close();
    }
  });
});

/** A full AgentSessionSummary with every field of the page's field reference. */
const SUMMARY = {
  session_id: '3f2a8c1e-5b7d-4e9f-a1c3-0d2e4f6a8b9c',
  tenant_id: 'tenant-acme',
  character_slug: 'support-sam',
  user: 'u_381',
  room_name: 'room-3f2a8c1e',
  origin_url: 'https://shop.example.test/help',
  metadata: { user_id: 'u_381', plan: 'pro', trial: false, seats: 5, nested: { ignored: true } },
  created_at: '2026-06-02T09:15:00Z',
  finalized_at: '2026-06-02T09:17:30Z',
  session_duration_seconds: 150,
  turn_count: 3,
  interruption_count: 1,
  llm_input_tokens: 2_400,
  llm_output_tokens: 310,
  stt_audio_seconds: 61.5,
  tts_characters: 840,
  estimated_cost_usd: 0.0187,
  recording_url: 's3://recordings/3f2a8c1e.ogg',
  recording_presigned_url: 'https://recordings.example.test/3f2a8c1e.ogg?X-Amz-Expires=900&X-Amz-Signature=feedbeef',
  transcript: [
    { role: 'user', text: 'Where is my parcel?', turn_index: 0, ts: 2.5 },
    { role: 'assistant', text: 'It left the depot this morning.', turn_index: 1, ts: 5 },
    { role: 'user', text: 'Thanks!', turn_index: 2, ts: 9.25 },
  ],
  transcript_text: 'user: Where is my parcel?\nassistant: It left the depot this morning.\nuser: Thanks!',
};

const TOTALS = {
  total_sessions: 1,
  total_llm_input_tokens: 2_400,
  total_llm_output_tokens: 310,
  total_stt_audio_seconds: 61.5,
  total_tts_characters: 840,
  total_estimated_cost_usd: 0.0187,
};

const envelope = (data: unknown) => JSON.stringify({ success: true, message: 'OK', data, errors: null });

describe('agent sessions API, its answers as the pages describe them in words', () => {
  const listPath = '/api/agents/agent-session/';
  const detailPath = '/api/agents/agent-session/{id}/';

  it('lists the envelope with totals beside sessions.data and pagination, and maps every documented field', async () => {
    const url = await serve((request) =>
      request.pathname === listPath
        ? { status: 200, body: envelope({ ...TOTALS, sessions: { data: [SUMMARY], pagination: { next: null, previous: null, count: 1 } } }) }
        : { status: 404, body: envelope(null) },
    );
    const source = createAgentsSource({ apiKey: 'agents-key', baseUrl: url, listPath, detailPath, ...FAST });
    try {
      const [entry, ...rest] = (await listAll(source)) as ListedSession[];
      expect(rest).toEqual([]);
      const created = Date.parse('2026-06-02T09:15:00Z') / 1000;
      expect(await entry!.load()).toEqual({
        sessionId: SUMMARY.session_id,
        source: 'agents',
        companionId: 'support-sam',
        externalClientId: 'u_381',
        tenantId: 'tenant-acme',
        // Scalar metadata entries become tags; nested values cannot be filtered on and are left out.
        tags: { user_id: 'u_381', plan: 'pro', trial: 'false', seats: '5' },
        createdAt: created,
        startedAt: created,
        closedAt: created + 150,
        durationSeconds: 150,
        functions: [],
        knowledgeBaseId: null,
        faqIds: [],
        usage: { llmInputTokens: 2_400, llmOutputTokens: 310, sttAudioSeconds: 61.5, ttsCharacters: 840, costUsd: 0.0187, interruptionCount: 1 },
        hasRecording: true,
        recordingUrl: null,
        turns: [
          { turnIndex: 0, role: 'user', text: 'Where is my parcel?', timestamp: created + 2.5, offsetSeconds: 2.5 },
          { turnIndex: 1, role: 'agent', text: 'It left the depot this morning.', timestamp: created + 5, offsetSeconds: 5 },
          { turnIndex: 2, role: 'user', text: 'Thanks!', timestamp: created + 9.25, offsetSeconds: 9.25 },
        ],
      });
      expect(await source.totals()).toEqual({
        sessions: 1, llmInputTokens: 2_400, llmOutputTokens: 310, sttAudioSeconds: 61.5, ttsCharacters: 840, costUsd: 0.0187,
      });
      expect(requests[0]!.path).toBe(`${listPath}?page=1&page_size=200`);
      expect(requests[0]!.headers['x-api-key']).toBe('agents-key');
    } finally {
      await source.close();
    }
  });

  it('follows the absolute next links, and reads count beside pagination as a real server may send it', async () => {
    const second = { ...SUMMARY, session_id: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', created_at: '2026-06-01T08:00:00Z' };
    let base = '';
    base = await serve((request) => {
      const page = request.searchParams.get('page');
      const sessions =
        page === '2'
          ? { data: [second], pagination: { next: null, previous: `${base}${listPath}?page=1&page_size=200` }, count: 2 }
          : { data: [SUMMARY], pagination: { next: `${base}${listPath}?page=2&page_size=200`, previous: null }, count: 2 };
      return { status: 200, body: envelope({ ...TOTALS, total_sessions: 2, sessions }) };
    });
    const source = createAgentsSource({ apiKey: 'agents-key', baseUrl: base, listPath, detailPath, ...FAST });
    try {
      const ids = ((await listAll(source)) as ListedSession[]).map((entry) => entry.sessionId);
      expect(ids).toEqual([SUMMARY.session_id, second.session_id]);
      expect(requests.map((request) => request.path)).toEqual([`${listPath}?page=1&page_size=200`, `${listPath}?page=2&page_size=200`]);
    } finally {
      await source.close();
    }
  });

  it('fails on the undocumented data.results shape, naming the documented one', async () => {
    const url = await serve(() => ({ status: 200, body: envelope({ results: [SUMMARY], count: 1, next: null, previous: null }) }));
    const source = createAgentsSource({ apiKey: 'agents-key', baseUrl: url, listPath, detailPath, ...FAST });
    try {
      await expect(listAll(source)).rejects.toThrow(/session list page 1 is not the documented list answer \{success, message, data: \{.*sessions: \{data: .*pagination/);
    } finally {
      await source.close();
    }
  });

  it('follows next links only on the configured origin, so the key never goes to another host', async () => {
    const elsewhere = await startAgentsUpstream({ records: [] });
    const url = await serve(() => ({
      status: 200,
      body: envelope({ ...TOTALS, sessions: { data: [SUMMARY], pagination: { next: `${elsewhere.url}${listPath}?page=2`, previous: null, count: 2 } } }),
    }));
    const source = createAgentsSource({ apiKey: 'agents-key', baseUrl: url, listPath, detailPath, ...FAST });
    try {
      await expect(listAll(source)).rejects.toThrow(/Refusing to follow a link to http:\/\/127\.0\.0\.1:\d+: only http:\/\/127\.0\.0\.1:\d+ \(the configured base URL\) receives the API key/);
      expect(elsewhere.detailRequests).toBe(0);
    } finally {
      await source.close();
      await elsewhere.close();
    }
  });

  it('reads the detail envelope, takes 404 (missing or not the caller\'s) and 400 (not a UUID) as no such session', async () => {
    const url = await serve((request) =>
      request.pathname === `${listPath}${SUMMARY.session_id}/`
        ? { status: 200, body: envelope(SUMMARY) }
        : request.pathname === `${listPath}not-a-uuid/`
          ? { status: 400, body: JSON.stringify({ success: false, message: 'session_id is not a valid UUID', data: null, errors: ['session_id'] }) }
          : { status: 404, body: JSON.stringify({ success: false, message: 'Not found', data: null, errors: null }) },
    );
    const source = createAgentsSource({ apiKey: 'agents-key', baseUrl: url, listPath, detailPath, ...FAST });
    try {
      expect((await source.loadById(SUMMARY.session_id))?.turns).toHaveLength(3);
      expect(await source.recordingUrl!(SUMMARY.session_id)).toBe(SUMMARY.recording_presigned_url);
      expect(await source.loadById('0e0e0e0e-0000-4000-8000-000000000000')).toBeUndefined();
      expect(await source.loadById('not-a-uuid')).toBeUndefined();
    } finally {
      await source.close();
    }
  });

  it('fails clearly on a 401, naming the status', async () => {
    const url = await serve(() => ({ status: 401, body: JSON.stringify({ success: false, message: 'Invalid X-API-Key', data: null, errors: null }) }));
    const source = createAgentsSource({ apiKey: 'wrong', baseUrl: url, listPath, detailPath, ...FAST });
    try {
      await expect(listAll(source)).rejects.toThrow(/GET \/api\/agents\/agent-session\/ answered 401/);
    } finally {
      await source.close();
    }
  });
});
