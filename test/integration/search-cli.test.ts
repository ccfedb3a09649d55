import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARK_END, MARK_START } from '../../src/engine/highlight.js';
import { createApp } from '../../src/http/app.js';
import { writeSessions } from '../../src/ingest/index-writer.js';
import { silentLogger } from '../../src/logger.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * `transcript-search search` as a process against indexes it shares with the HTTP API: `--json` prints
 * what the API answers for the same search (highlights as escaped HTML with <mark>), and the plain
 * output draws matches with asterisks; neither shows the engine's private-use marks.
 */
let engine: TestEngine;
let app: ReturnType<typeof createApp>;

function napster(id: string, companionId: string, texts: string[]) {
  return {
    id,
    companionId,
    externalClientId: `client_${id}`,
    createdAt: 1_760_000_000,
    closedAt: 1_760_000_100,
    conversation: { items: texts.map((text, index) => ({ role: index % 2 === 0 ? 'user' : 'agent', text, timestamp: 1_760_000_000 + index })) },
  };
}

function search(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix, LOG_LEVEL: 'warn' };
  return new Promise((resolve) => {
    execFile(process.execPath, [path.resolve('dist/main.js'), 'search', ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

async function api(query: string): Promise<unknown> {
  const response = await app.request(query);
  expect(response.status).toBe(200);
  return response.json();
}

/** The answer without the engine's timing, which differs between two runs of one search. */
function untimed(answer: unknown): unknown {
  const { processingTimeMs: _timing, ...rest } = answer as { processingTimeMs: number };
  return rest;
}

beforeAll(async () => {
  engine = await createTestEngine('searchcli');
  const sessions = [
    napster('cli_1', 'comp_a', ['I want a refund for <b>order</b> 7 & 8', 'A refund is on its way.']),
    napster('cli_2', 'comp_b', ['Refund please', 'Which order?', 'The refund for the shoes']),
    napster('cli_3', 'comp_a', ['Nothing to see here']),
  ].map(parseVendorSession);
  await writeSessions(engine.ingest, sessions, { wait: true });
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
});

afterAll(async () => {
  await engine?.drop();
});

describe('transcript-search search', () => {
  it('prints with --json the turns answer of GET /v1/search/turns, highlights as HTML', async () => {
    const result = await search(['refund', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(untimed(printed)).toEqual(untimed(await api('/v1/search/turns?q=refund')));
    expect(printed.totalHits).toBe(4);
    expect(printed.hits.map((hit: { highlight: string }) => hit.highlight)).toContain('I want a <mark>refund</mark> for &lt;b&gt;order&lt;/b&gt; 7 &amp; 8');
    expect(result.stdout).not.toMatch(/[\uE000\uE001]/);
  });

  it('prints with --json the sessions answer of GET /v1/search/sessions, stats included', async () => {
    const result = await search(['refund', '--sessions', '--companion', 'comp_a', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(untimed(printed)).toEqual(untimed(await api('/v1/search/sessions?q=refund&companionId=comp_a')));
    expect(printed).toMatchObject({ totalHits: 1, hits: [{ sessionId: 'cli_1' }], stats: { count: 1 } });
    expect(printed.hits[0].snippet).toContain('<mark>');
    expect(result.stdout).not.toMatch(/[\uE000\uE001]/);
  });

  it('honours --from, --to, --sort, --page and --limit as the API their parameters, in --json and in lines', async () => {
    const options = ['--sort', 'newest', '--page', '2', '--limit', '1', '--from', '2025-10-09', '--to', '1760000100'];
    const result = await search(['refund', ...options, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(untimed(printed)).toEqual(untimed(await api('/v1/search/turns?q=refund&sort=newest&page=2&hitsPerPage=1&from=2025-10-09&to=1760000100')));
    expect(printed).toMatchObject({ totalHits: 4, page: 2, hitsPerPage: 1, totalPages: 4 });
    expect(printed.hits).toHaveLength(1);

    const lines = (await search(['refund', ...options])).stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('4 turns match (page 2 of 4, 1 a page)');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${printed.hits[0].sessionId}#${printed.hits[0].turnIndex} `);
  });

  it('filters by --tenant as the API by tenantId', async () => {
    const result = await search(['refund', '--sessions', '--tenant', 'tenant_none', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(untimed(JSON.parse(result.stdout))).toEqual(untimed(await api('/v1/search/sessions?q=refund&tenantId=tenant_none')));
    expect(JSON.parse(result.stdout).totalHits).toBe(0);
  });

  it('searches sessions by what both sides said with --said, --not-said, --order and --within, as the API', async () => {
    const options = ['--sessions', '--said', 'user:refund', '--said', 'agent:order', '--order', 'said', '--within', '1'];
    const result = await search([...options, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(untimed(printed)).toEqual(untimed(await api('/v1/search/sessions?said=user:refund&said=agent:order&order=said&within=1')));
    expect(printed.hits.map((hit: { sessionId: string }) => hit.sessionId)).toEqual(['cli_2']);
    expect((await search([...options])).stdout.trimEnd().split('\n')).toEqual([
      '1 sessions match',
      'cli_2 (3 turns) [comp_b]: Refund please',
      '  said 1, turn 0: *Refund* please',
      '  said 2, turn 1: Which *order*?',
    ]);
    const negated = await search(['--sessions', '--said', 'user:refund', '--not-said', 'agent:order', '--json']);
    expect(JSON.parse(negated.stdout).hits.map((hit: { sessionId: string }) => hit.sessionId)).toEqual(['cli_1']);
    const turns = await search(['refund', '--said', 'user:refund']);
    expect(turns.code).toBe(64);
    expect(turns.stderr).toMatch(/^--said, --not-said, --order and --within search sessions: add --sessions/);
  });

  it('prints a count and a line a hit, matches in asterisks', async () => {
    const result = await search(['refund', '--companion', 'comp_a']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('2 turns match');
    expect(lines.slice(1).sort()).toEqual([
      'cli_1#0 user [comp_a]: I want a *refund* for <b>order</b> 7 & 8',
      'cli_1#1 agent [comp_a]: A *refund* is on its way.',
    ]);
    expect(result.stdout).not.toContain(MARK_START);
    expect(result.stdout).not.toContain(MARK_END);
  });
});
