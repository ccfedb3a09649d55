import { execFile } from 'node:child_process';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { EngineClient } from '../../src/engine/client.js';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { SessionHit, TurnHit } from '../../src/http/schemas/search.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { EXPORT_PAGE_TURNS } from '../../src/search/export.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { AGENTS_CORPUS, containsPhrase, loadCorpus, NAPSTER_CORPUS, type AgentCorpusRecord, type NapsterCorpusRecord } from '../support/corpus.js';
import { csvObjects, parseCsv } from '../support/csv.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { engineEqualVariants } from '../support/hostile.js';

/**
 * Exports (CONTRACT.md §4b): every match of the same search, as many rows as its `totalHits`, as the
 * search's own hits (JSON lines) or their fields (CSV that a strict RFC 4180 reader takes back), only
 * within the caller's scope; and a reader that goes away stops the work.
 */
type Row = Record<string, unknown>;
type Page = { hits: Row[]; totalHits: number };

const KEYS = { admin: 'export-admin-key-0123456789', search: 'export-search-key-012345678', scoped: 'export-scoped-search-key-0123' };

let engine: TestEngine;
let app: ReturnType<typeof createApp>;
let keyed: ReturnType<typeof createApp>;
let napster: NapsterCorpusRecord[];
let agents: AgentCorpusRecord[];
let turnCount: number;
let scope: string;

async function search(url: string): Promise<Page> {
  const response = await app.request(url);
  expect(response.status, `${url}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as Page;
}

async function exported(url: string, on = app, headers: Record<string, string> = {}): Promise<{ text: string; total: number; type: string }> {
  const response = await on.request(url, { headers });
  expect(response.status, `${url}: ${response.status === 200 ? '' : await response.clone().text()}`).toBe(200);
  return { text: await response.text(), total: Number(response.headers.get('x-total-hits')), type: response.headers.get('content-type') ?? '' };
}

const lines = (text: string): Row[] => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Row);

/** A row must be exactly the hit schema: nothing missing, nothing more. */
function expectHit(schema: z.ZodType, row: Row): void {
  const parsed = schema.safeParse(row);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  expect(parsed.data).toEqual(row);
}

/** A JSON line's field as the CSV writes it: text as it is, nested values as JSON, a formula guarded. */
function asCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

beforeAll(async () => {
  napster = await loadCorpus<NapsterCorpusRecord>(NAPSTER_CORPUS, 800);
  agents = await loadCorpus<AgentCorpusRecord>(AGENTS_CORPUS, 300);
  const formulas = parseVendorSession({
    id: 'sess_formulas', companionId: napster[0]!.companionId, externalClientId: 'user_formulas', tags: { note: '=1+1' }, createdAt: 1_760_000_000, startedAt: 1_760_000_000, closedAt: 1_760_000_100,
    conversation: { items: ['=HYPERLINK("http://evil.example","refund")', '+1 refund', '-1 refund', '@SUM(A1) refund', 'a "quoted", refund\non two lines'].map((text, i) => ({ role: i % 2 ? 'agent' : 'user', text, timestamp: 1_760_000_001 + i })) },
  });
  turnCount = napster.reduce((sum, s) => sum + s.conversation.items.length, 0) + agents.reduce((sum, s) => sum + s.transcript.length, 0) + 5;
  scope = napster[0]!.companionId;
  engine = await createTestEngine('export');
  await writeSessions(engine.ingest, [...[...napster, ...agents].map(parseVendorSession), formulas], { wait: true });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  keyed = createApp({
    engine: engine.client,
    names: engine.names,
    log: silentLogger,
    keys: new ApiKeys([
      { key: KEYS.admin, name: 'admin', role: 'admin' },
      { key: KEYS.search, name: 'search', role: 'search' },
      { key: KEYS.scoped, name: 'scoped', role: 'search', companions: [scope] },
    ]),
  });
});

afterAll(async () => {
  await engine?.drop();
});

describe('GET /v1/export/turns', () => {
  it('writes every turn, as many rows as the search counts, each once, newest first', async () => {
    expect(turnCount).toBeGreaterThan(10 * EXPORT_PAGE_TURNS);
    const { text, total, type } = await exported('/v1/export/turns');
    const rows = lines(text);
    expect(type).toMatch(/^application\/x-ndjson/);
    expect(total).toBe(turnCount);
    expect(rows).toHaveLength((await search('/v1/search/turns?hitsPerPage=1')).totalHits);
    expect(rows).toHaveLength(turnCount);
    expect(new Set(rows.map((row) => `${row.sessionId}#${row.turnIndex}`)).size).toBe(turnCount);
    const times = rows.map((row) => Date.parse(row.timestamp as string));
    expect(times.every((time, i) => i === 0 || time <= times[i - 1]!)).toBe(true);
    for (const row of rows.slice(0, 50)) expectHit(TurnHit, row);
    const oldest = lines((await exported('/v1/export/turns?sort=oldest')).text).map((row) => Date.parse(row.timestamp as string));
    expect(oldest).toHaveLength(turnCount);
    expect(oldest.every((time, i) => i === 0 || time >= oldest[i - 1]!)).toBe(true);
  });

  it('writes the search’s own hits in its order, for text, filters, dates and context', async () => {
    const companion = napster[3]!.companionId;
    // Several pages of a text search, paged by the engine.
    expect((await search('/v1/search/turns?q=you&hitsPerPage=1')).totalHits).toBeGreaterThan(3 * EXPORT_PAGE_TURNS);
    for (const query of [
      'q=you',
      `q=${encodeURIComponent('"i would like"')}`,
      `q=refund`,
      `q=${encodeURIComponent('"thank you"')}&role=user&companionId=${companion}&sort=oldest`,
      `q=hotel&context=1&tag=channel:ios`,
      `q=${encodeURIComponent('"one way"')}&from=2026-01-01&to=2026-12-31`,
    ]) {
      const first = await search(`/v1/search/turns?${query}&hitsPerPage=100`);
      const { text, total } = await exported(`/v1/export/turns?${query}`);
      const rows = lines(text);
      expect(rows, query).toHaveLength(first.totalHits);
      expect(total).toBe(first.totalHits);
      expect(rows.slice(0, 100), query).toEqual(first.hits);
    }
    const phrase = lines((await exported(`/v1/export/turns?q=${encodeURIComponent('"i would like"')}`)).text);
    expect(phrase.length).toBeGreaterThan(100);
    expect(phrase.every((row) => containsPhrase(row.text as string, 'i would like'))).toBe(true);
  });

  it('writes CSV a strict RFC 4180 reader takes back into the JSON lines, field by field, formulas guarded', async () => {
    const query = 'q=refund&context=1';
    const json = lines((await exported(`/v1/export/turns?${query}`)).text);
    const { text, type } = await exported(`/v1/export/turns?${query}&format=csv`);
    expect(type).toMatch(/^text\/csv; charset=utf-8/);
    expect(parseCsv(text)[0]).toEqual(Object.keys(TurnHit.shape));
    const rows = csvObjects(text);
    expect(rows).toHaveLength(json.length);
    rows.forEach((row, i) => expect(row).toEqual(Object.fromEntries(Object.keys(TurnHit.shape).map((name) => [name, asCell(json[i]![name])]))));
    const planted = rows.filter((row) => row.sessionId === 'sess_formulas').map((row) => row.text);
    expect(planted.sort()).toEqual([`'=HYPERLINK("http://evil.example","refund")`, "'+1 refund", "'-1 refund", "'@SUM(A1) refund", 'a "quoted", refund\non two lines'].sort());
    // Without context, no context column.
    expect(parseCsv((await exported('/v1/export/turns?q=refund&format=csv')).text)[0]).not.toContain('context');
  });
});

describe('GET /v1/export/sessions', () => {
  it('writes every session of the search, with or without text, and with conversation conditions', async () => {
    const said = `said=${encodeURIComponent('user:"i would like"')}&said=${encodeURIComponent('agent:"confirm"')}`;
    for (const query of ['', 'q=refund', 'role=agent&companionId=' + napster[1]!.companionId, said, `${said}&order=said&within=3`, `notSaid=${encodeURIComponent('agent:"okay"')}&tag=channel:web`]) {
      const first = await search(`/v1/search/sessions?${query}&hitsPerPage=100`);
      const { text, total } = await exported(`/v1/export/sessions?${query}`);
      const rows = lines(text);
      expect(rows, query).toHaveLength(first.totalHits);
      expect(total).toBe(first.totalHits);
      expect(new Set(rows.map((row) => row.sessionId)).size).toBe(rows.length);
      expect(rows.slice(0, 100), query).toEqual(first.hits);
      for (const row of rows.slice(0, 20)) expectHit(SessionHit, row);
    }
    expect(lines((await exported('/v1/export/sessions')).text)).toHaveLength(napster.length + agents.length + 1);
  });

  it('writes CSV with a column per field, matches as JSON', async () => {
    const query = `said=${encodeURIComponent('user:"i would like"')}&said=${encodeURIComponent('agent:"confirm"')}&order=said`;
    const json = lines((await exported(`/v1/export/sessions?${query}`)).text);
    const { text } = await exported(`/v1/export/sessions?${query}&format=csv`);
    const rows = csvObjects(text);
    expect(parseCsv(text)[0]).toEqual(Object.keys(SessionHit.shape));
    expect(rows).toHaveLength(json.length);
    rows.forEach((row, i) => expect(row).toEqual(Object.fromEntries(Object.keys(SessionHit.shape).map((name) => [name, asCell(json[i]![name])]))));
    expect(JSON.parse(rows[0]!.matches!)).toHaveLength(2);
  });
});

describe('who may export, and what', () => {
  it('lets a search key and an admin key export; a companion-scoped key exports only its companion', async () => {
    for (const key of [KEYS.admin, KEYS.search]) {
      expect(lines((await exported('/v1/export/sessions', keyed, { authorization: `Bearer ${key}` })).text)).toHaveLength(napster.length + agents.length + 1);
    }
    expect((await keyed.request('/v1/export/turns')).status).toBe(401);
    const mine = napster.filter((s) => s.companionId === scope);
    const scopedTurns = lines((await exported('/v1/export/turns', keyed, { authorization: `Bearer ${KEYS.scoped}` })).text);
    expect(scopedTurns).toHaveLength(mine.reduce((sum, s) => sum + s.conversation.items.length, 0) + 5);
    expect(new Set(scopedTurns.map((row) => row.companionId))).toEqual(new Set([scope]));
    const scopedSessions = lines((await exported('/v1/export/sessions?format=jsonl&q=the', keyed, { authorization: `Bearer ${KEYS.scoped}` })).text);
    expect(scopedSessions.length).toBeGreaterThan(0);
    expect(new Set(scopedSessions.map((row) => row.companionId))).toEqual(new Set([scope]));
    const outside = napster.find((s) => s.companionId !== scope)!.companionId;
    for (const other of [outside, ...engineEqualVariants(scope)]) {
      for (const route of ['turns', 'sessions']) {
        const response = await keyed.request(`/v1/export/${route}?companionId=${encodeURIComponent(other)}`, { headers: { authorization: `Bearer ${KEYS.scoped}` } });
        // A value with control characters is refused outright; any other exports nothing.
        if (response.status === 400) expect(other).toMatch(/[\u0000-\u001f]/);
        else expect(await response.text(), `${route} ${JSON.stringify(other)}`).toBe('');
      }
    }
  });

  it('refuses bad parameters with a 400 naming them, before anything is written', async () => {
    for (const [url, name] of [
      ['/v1/export/turns?format=xlsx', 'format'],
      ['/v1/export/turns?said=user:hello', 'said'],
      ['/v1/export/sessions?context=1', 'context'],
      ['/v1/export/sessions?said=hello', 'said'],
      ['/v1/export/sessions?said=user:a&within=3', 'within'],
    ] as const) {
      const response = await app.request(url);
      expect(response.status, url).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await response.json()) as { error: { message: string } }).error.message, url).toContain(`'${name}'`);
    }
  });
});

describe('a reader that goes away', () => {
  let server: ServerType;
  let pool: Pool;
  let client: EngineClient;
  const logged: Array<Record<string, unknown>> = [];
  let engineRequests = 0;

  beforeAll(async () => {
    // Every engine request of this app is counted, so the test sees whether the export keeps working.
    pool = new Pool(engine.url);
    const counting = pool.compose((dispatch) => (options, handler) => {
      engineRequests++;
      return dispatch(options, handler);
    });
    client = new EngineClient({ url: engine.url, apiKey: engine.key, dispatcher: counting });
    const log = createLogger('info', (line) => void logged.push(JSON.parse(line) as Record<string, unknown>));
    server = serve({ fetch: createApp({ engine: client, names: engine.names, log }).fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await client?.close();
    await pool?.close();
  });

  it('stops the export: no page is fetched once the connection is closed', async () => {
    const { port } = server.address() as AddressInfo;
    const pages = Math.ceil(turnCount / EXPORT_PAGE_TURNS);
    await new Promise<void>((resolve, reject) => {
      const request = get(`http://127.0.0.1:${port}/v1/export/turns`, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
    });
    const ended = async () => {
      for (let waited = 0; waited < 30_000; waited += 50) {
        const line = logged.find((entry) => entry.msg === 'export');
        if (line) return line;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the export never ended');
    };
    const line = await ended();
    expect(line).toMatchObject({ kind: 'turns', outcome: 'client gone', total: turnCount });
    expect(line.rows as number).toBeLessThan(turnCount);
    // What was in flight when it ended may finish; nothing after it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const afterEnd = engineRequests;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(engineRequests).toBe(afterEnd);
    expect(engineRequests).toBeLessThan(pages / 2);
  });
});

describe('transcript-search export', () => {
  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const env = { PATH: process.env.PATH, MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix, LOG_LEVEL: 'warn' };
      execFile(process.execPath, [path.resolve('dist/main.js'), 'export', ...args], { env, maxBuffer: 256 * 2 ** 20 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });

  it('writes only the rows on stdout, the API’s own, and a summary on stderr', async () => {
    const csv = await run(['turns', 'refund', '--context', '1', '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe((await exported('/v1/export/turns?q=refund&context=1&format=csv')).text);
    expect(csv.stderr).toMatch(/^[\d,]+ turns exported as csv in [\d.]+ s\n$/);
    const json = await run(['sessions', '--said', 'user:"i would like"', '--said', 'agent:"confirm"', '--order', 'said', '--tag', 'channel:web']);
    expect(json.code, json.stderr).toBe(0);
    const viaApi = await exported(`/v1/export/sessions?said=${encodeURIComponent('user:"i would like"')}&said=${encodeURIComponent('agent:"confirm"')}&order=said&tag=channel:web`);
    expect(json.stdout).toBe(viaApi.text);
    expect(json.stderr).toBe(`${viaApi.total.toLocaleString('en')} sessions exported as jsonl in ${/in ([\d.]+) s/.exec(json.stderr)![1]} s\n`);
  });

  it('refuses a wrong command line with exit 64, naming what is wrong', async () => {
    for (const [args, message] of [
      [['people'], /export exports turns or sessions, got 'people'/],
      [['turns', '--said', 'user:hi'], /--said, --not-said, --order and --within select sessions/],
      [['sessions', '--context', '1'], /--context is for export turns/],
      [['turns', '--format', 'xml'], /Invalid 'format'/],
      [['sessions', '--said', 'nobody:hi'], /Invalid 'said'/],
    ] as const) {
      const result = await run([...args]);
      expect(result.code, args.join(' ')).toBe(64);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });
});
