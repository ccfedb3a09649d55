import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/serve.js';
import { describe, expect, test } from '../support/fixtures.js';
import { parseSamples, sampleValue } from '../support/prometheus.js';

/**
 * `serve` with the embedded engine outlives the engine: killed with SIGKILL, the engine's exit is
 * logged as an error with its signal and the end of its log, it is started again on the same database, port and master key,
 * /ready turns 200 again without a restart of the service, the restarts metric counts it, and a sync
 * works. Stopping the service restarts nothing.
 */
test.override({ napsterSessions: 40 });

type LogLine = { level: string; msg: string; [field: string]: unknown };

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Live processes of this user's Meilisearch on this database (read from /proc). */
function enginesOn(dbPath: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.includes('--db-path') && argv[argv.indexOf('--db-path') + 1] === dbPath;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('the embedded engine under serve', () => {
  test('is restarted after SIGKILL: logged, counted, /ready recovers, a sync works, and a stop restarts nothing', async ({ napster }) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'transcript-search-restart-'));
    const dbPath = path.join(dataDir, 'meilisearch', 'data.ms');
    const lines: LogLine[] = [];
    const log = createLogger('info', (line) => void lines.push(JSON.parse(line) as LogLine));
    const config = loadConfig({
      DATA_DIR: dataDir, PORT: '0', SYNC_INTERVAL_SECONDS: '0', SOURCE_RPS: '2000',
      NAPSTER_API_KEY: napster.fake.apiKey, NAPSTER_BASE_URL: napster.fake.url,
    });
    let server: RunningServer | undefined;
    try {
      server = await startServer(config, log);
      const url = server.url;
      const ready = async () => (await fetch(`${url}/ready`)).status === 200;
      const restarts = async () => sampleValue(parseSamples(await (await fetch(`${url}/metrics`)).text()), 'transcript_search_engine_restarts_total');
      expect(await ready()).toBe(true);
      expect(await restarts()).toBe(0);
      const record = () => JSON.parse(readFileSync(path.join(dataDir, 'meilisearch', 'engine.json'), 'utf8')) as { pid: number; url: string };
      const before = record();

      process.kill(before.pid, 'SIGKILL');
      await until(() => lines.some((line) => line.msg === 'embedded engine restarted'), 'the engine to be restarted');
      const exited = lines.find((line) => line.msg === 'embedded engine exited; restarting it');
      expect(exited).toMatchObject({ level: 'error', pid: before.pid, code: null, signal: 'SIGKILL', engineLog: path.join(dataDir, 'meilisearch', 'engine.log') });
      // The engine's last lines (SIGKILL leaves it no last words, so what it said before), without colour codes.
      const tail = exited!.engineLogTail as string[];
      expect(tail.length).toBeGreaterThan(0);
      expect(tail.length).toBeLessThanOrEqual(10);
      expect(tail.join('\n')).not.toContain('\u001b');
      await until(ready, '/ready to answer 200 again');
      expect(await restarts()).toBe(1);
      expect(record()).toMatchObject({ url: before.url });
      expect(record().pid).not.toBe(before.pid);

      const [summary] = await server.sync.run();
      expect(summary).toMatchObject({ error: null, sessions: napster.records.length });
      const search = (await (await fetch(`${url}/v1/search/sessions?hitsPerPage=1`)).json()) as { totalHits: number };
      expect(search.totalHits).toBe(napster.records.length);

      await server.stop();
      server = undefined;
      expect(existsSync(path.join(dataDir, 'meilisearch', 'engine.json'))).toBe(false);
      // A restart would come 0.5 s after an exit: wait past that, then no engine may run on the database.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(enginesOn(dbPath)).toEqual([]);
      expect(lines.filter((line) => line.msg === 'embedded engine restarted')).toHaveLength(1);
    } finally {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('transcript-search serve as a process', () => {
  test('brings its killed engine back by itself: /ready goes 503 then 200, the same process counts the restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'transcript-search-restart-cli-'));
    const serve = spawn(process.execPath, [path.resolve('dist/main.js'), 'serve'], {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', SYNC_INTERVAL_SECONDS: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const lines: LogLine[] = [];
    const listening = new Promise<string>((resolve) =>
      createInterface({ input: serve.stderr! }).on('line', (line) => {
        const entry = JSON.parse(line) as LogLine;
        lines.push(entry);
        if (entry.msg === 'listening') resolve(entry.url as string);
      }),
    );
    try {
      const url = await listening;
      const readiness = async () => (await fetch(`${url}/ready`)).status;
      expect(await readiness()).toBe(200);
      const { pid } = JSON.parse(readFileSync(path.join(dataDir, 'meilisearch', 'engine.json'), 'utf8')) as { pid: number };

      process.kill(pid, 'SIGKILL');
      const statuses = new Set<number>();
      await until(async () => {
        statuses.add(await readiness());
        return statuses.has(503) && statuses.has(200) && (await readiness()) === 200;
      }, '/ready to answer 503, then 200 again');
      expect(serve.exitCode).toBeNull();
      const metrics = parseSamples(await (await fetch(`${url}/metrics`)).text());
      expect(sampleValue(metrics, 'transcript_search_engine_restarts_total')).toBe(1);
      expect(lines.find((line) => line.msg === 'embedded engine exited; restarting it')).toMatchObject({ level: 'error', pid, signal: 'SIGKILL' });

      serve.kill('SIGTERM');
      expect(await new Promise((resolve) => serve.once('exit', resolve))).toBe(0);
      expect(enginesOn(path.join(dataDir, 'meilisearch', 'data.ms'))).toEqual([]);
    } finally {
      if (serve.exitCode === null) serve.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
