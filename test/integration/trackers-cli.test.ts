import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leases } from '../../src/engine/lease.js';
import { silentLogger } from '../../src/logger.js';
import { TRACKERS_LEASE } from '../../src/runtime.js';
import { containsPhrase } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { napsterUpstream, revealWithheldSaying, type Upstream } from '../support/upstreams.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * `transcript-search trackers` and trackers across processes: the CLI adds, lists, draws and removes
 * them, a `sync` process sends what it indexed, and a sync killed with SIGKILL while a webhook is on
 * its way loses no delivery: the next process sends it.
 */
const PHRASE = 'thank you';
const LEASE_SECONDS = 4;

let engine: TestEngine;
let upstream: Upstream;
let receiver: WebhookReceiver;

function cliEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    MEILI_URL: engine.url,
    MEILI_MASTER_KEY: engine.key,
    INDEX_PREFIX: engine.prefix,
    ...upstream.env,
    WEBHOOK_RETRY_SECONDS: '1',
    // A killed process's tracker lease lapses soon: the next process takes its work over.
    LEASE_SECONDS: String(LEASE_SECONDS),
    SOURCE_RPS: '2000',
    SOURCE_CONCURRENCY: '8',
    LOG_LEVEL: 'error',
  };
}

function start(...args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [path.resolve('dist/main.js'), ...args], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

const run = (...args: string[]) => start(...args).done;

beforeAll(async () => {
  engine = await createTestEngine('trackers_cli');
  upstream = await napsterUpstream({ limit: 400, withhold: 150 });
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await upstream?.close();
  await engine?.drop();
});

describe('transcript-search trackers', () => {
  let id: string;

  it('adds a tracker and prints its secret once; refuses a search that is not one (exit 64)', async () => {
    const synced = await run('sync');
    expect(synced.code, synced.stderr).toBe(0);
    const added = await run('trackers', 'add', 'New York', `q="${PHRASE}"`, '--webhook', receiver.url, '--threshold', '50');
    expect(added.code, added.stderr).toBe(0);
    const tracker = JSON.parse(added.stdout);
    expect(tracker).toMatchObject({ name: 'New York', search: `q="${PHRASE}"`, webhookUrl: receiver.url, threshold: { sessionsPerDay: 50 }, secret: expect.stringMatching(/^whsec_/) });
    id = tracker.id;
    const bad = await run('trackers', 'add', 'x', 'q=a&sort=newest');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toBe("Invalid 'search': Unknown parameter 'sort'; expected one of q, companionId, externalClientId, tenantId, tag, knowledgeBaseId, function, faqId, from, to, role\n");
    expect((await run('trackers', 'add', 'x', 'q=a', '--webhook', engine.url)).stderr).toMatch(/points at the search engine/);
    expect((await run('trackers', 'frobnicate')).code).toBe(64);
  });

  it('lists trackers without their secret, and draws a trend of the whole history', async () => {
    const listed = await run('trackers', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const { trackers } = JSON.parse(listed.stdout);
    expect(trackers).toEqual([{ tracker: expect.objectContaining({ id, name: 'New York' }), turnsLast7Days: expect.any(Number) }]);
    expect(trackers[0].tracker).not.toHaveProperty('secret');
    const trend = await run('trackers', 'trend', id, '--interval', 'week');
    expect(trend.code, trend.stderr).toBe(0);
    const lines = trend.stdout.trim().split('\n');
    expect(lines[0]).toBe(`New York (q="${PHRASE}"), per week:`);
    const counted = lines.slice(1).reduce((sum, line) => sum + Number(/ (\d+) turns,/.exec(line)?.[1] ?? Number.NaN), 0);
    expect(lines.length, trend.stdout).toBeGreaterThan(1);
    const expected = Object.values(upstream.transcripts()).flat().filter((line) => containsPhrase(line.slice(line.indexOf(': ') + 2), PHRASE)).length;
    expect(counted).toBe(expected);
    expect((await run('trackers', 'trend', 'trk_0000000000000000')).stderr).toBe("No tracker 'trk_0000000000000000'\n");
  });

  it('loses no delivery when a sync is killed while a webhook is on its way: the next process, once the lease lapsed, sends it', async () => {
    const expected = revealWithheldSaying(upstream, PHRASE);
    expect(expected.size).toBeGreaterThan(0);

    receiver.hang(true);
    const sync = start('sync');
    const deadline = Date.now() + 60_000;
    while (receiver.held() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(receiver.held()).toBeGreaterThan(0);
    sync.child.kill('SIGKILL');
    expect((await sync.done).signal).toBe('SIGKILL');
    receiver.hang(false);
    expect(receiver.received).toEqual([]);

    // Tracker work is the killed process's until its lease lapses.
    const trackersLease = new Leases(engine.client, engine.names.state, { process: 'test', ttlMs: LEASE_SECONDS * 1000, log: silentLogger }).lease(TRACKERS_LEASE);
    expect(await trackersLease.current()).toMatchObject({ holder: { process: 'sync', pid: sync.child.pid } });
    while ((await trackersLease.current()) !== null) await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await run('sync');
    expect(next.code, next.stderr).toBe(0);
    const sent = receiver.received.flatMap((webhook) => (JSON.parse(webhook.body).matches as Array<{ sessionId: string; turnIndex: number }>).map((m) => `${m.sessionId}#${m.turnIndex}`));
    expect(new Set(sent)).toEqual(expected);
    expect(sent).toHaveLength(expected.size);
  });

  it('removes a tracker', async () => {
    expect(JSON.parse((await run('trackers', 'rm', id)).stdout)).toEqual({ id, deleted: true });
    expect(JSON.parse((await run('trackers', 'list', '--json')).stdout)).toEqual({ trackers: [] });
  });
});
