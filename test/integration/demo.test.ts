import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { loadConfig } from '../../src/config.js';
import { runDemo } from '../../src/demo/run-demo.js';
import { indexNames } from '../../src/engine/indexes.js';
import { silentLogger } from '../../src/logger.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * `demo` in process, on the shared engine: its banner counts what the engine holds, on a second run
 * too (whose first pass only fetches what changed); the README's demo examples answer with hits as
 * written; `search` without the demo's prefix finds the demo's data and says where it looked; and
 * where nothing is indexed, `search` and `forget --list` say so, exit 1 and create no index.
 */
const README = readFileSync('README.md', 'utf8');
const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('## Connecting real sources'));

let engine: TestEngine;
/** INDEX_PREFIX of the runs: nothing exists under it, so the demo's `${prefix}demo_` indexes are all there is. */
let prefix: string;

function env(indexPrefix = prefix): Record<string, string | undefined> {
  return { PATH: process.env.PATH, MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: indexPrefix, PORT: '0', SYNC_INTERVAL_SECONDS: '0', LOG_LEVEL: 'error' };
}

function capture() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (text: string) => void (out.stdout += text),
    stderr: { isTTY: false, write: (text: string) => ((out.stderr += text), true) } as unknown as NodeJS.WriteStream,
    out: process.stdout,
  };
  return { out, io };
}

async function demo() {
  const { out, io } = capture();
  const running = await runDemo(loadConfig(env()), silentLogger, io);
  return { running, banner: out.stdout };
}

async function engineCounts() {
  const names = indexNames(`${prefix}demo_`);
  return { sessions: await engine.client.documentCount(names.sessions), turns: await engine.client.documentCount(names.turns) };
}

beforeAll(async () => {
  engine = await createTestEngine('demo');
  prefix = `${engine.prefix}run_`;
});

afterAll(async () => {
  const names = indexNames(`${prefix}demo_`);
  await engine?.client.waitForTasks(await Promise.all(Object.values(names).map((uid) => engine.client.deleteIndex(uid))));
  await engine?.drop();
});

describe('transcript-search demo', () => {
  it('counts in its banner what the engine holds, on a first run and on the run after it', async () => {
    const first = await demo();
    try {
      const counts = await engineCounts();
      expect(counts.sessions).toBeGreaterThan(1_900);
      expect(first.banner).toContain(`demo: ${counts.sessions.toLocaleString('en')} sessions (${counts.turns.toLocaleString('en')} turns) indexed`);

      // The README's examples, against this demo's address.
      const curls = [...quickStart.matchAll(/^curl '(http:\/\/127\.0\.0\.1:3000[^']+)'$/gm)].map((match) => match[1]!);
      expect(curls.length).toBeGreaterThanOrEqual(3);
      for (const example of curls) {
        const response = await fetch(example.replace('http://127.0.0.1:3000', first.running.url));
        expect(response.status, example).toBe(200);
        const body = (await response.json()) as { totalHits?: number; values?: unknown[] };
        expect(body.totalHits ?? body.values?.length, example).toBeGreaterThan(0);
      }
    } finally {
      await first.running.stop();
    }

    const second = await demo();
    await second.running.stop();
    const counts = await engineCounts();
    expect(second.banner).toContain(`demo: ${counts.sessions.toLocaleString('en')} sessions (${counts.turns.toLocaleString('en')} turns) indexed`);
  });

  it("lets the README's `search` find the demo's data, saying which indexes it searched", async () => {
    const command = /^npx transcript-search (search [^#\n]+?)\s+#/m.exec(quickStart);
    expect(command).not.toBeNull();
    const { out, io } = capture();
    const code = await runCli(command![1]!.split(' '), env(), io);
    expect(code, out.stderr).toBe(0);
    expect(out.stderr).toBe(`nothing is indexed under INDEX_PREFIX='${prefix}': searching the demo's indexes (${prefix}demo_turns, ${prefix}demo_sessions)\n`);
    expect(Number(/^(\d+) turns match/.exec(out.stdout)?.[1])).toBeGreaterThan(0);
  });

  it('says nothing is indexed yet, exits 1 and creates no index, where neither the indexes nor the demo\'s exist', async () => {
    const empty = `${engine.prefix}empty_`;
    const { out, io } = capture();
    expect(await runCli(['search', 'refund'], env(empty), io)).toBe(1);
    expect(out.stderr).toBe(`nothing is indexed under INDEX_PREFIX='${empty}' yet: run sync, import or demo first\n`);
    expect(out.stdout).toBe('');
    for (const uid of Object.values(indexNames(empty))) expect(await engine.client.getIndex(uid)).toBeUndefined();
  });

  it('lists forgotten clients without creating an index either', async () => {
    const empty = `${engine.prefix}unlisted_`;
    const { out, io } = capture();
    expect(await runCli(['forget', '--list'], env(empty), io)).toBe(1);
    expect(out.stderr).toBe(`nothing is indexed under INDEX_PREFIX='${empty}' yet: run sync, import or demo first\n`);
    for (const uid of Object.values(indexNames(empty))) expect(await engine.client.getIndex(uid)).toBeUndefined();

    const demo = capture();
    expect(await runCli(['forget', '--list'], env(), demo.io)).toBe(0);
    expect(JSON.parse(demo.out.stdout)).toEqual({ clients: [] });
  });
});
