import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineTask } from '../../src/engine/client.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * `transcript-search snapshot` as a process: against a configured engine it creates a snapshot task
 * and exits 0 once the engine reports it succeeded; with the embedded engine the file is where it
 * says; a key the engine will not let snapshot is reported naming the variable.
 */
const run = promisify(execFile);

let engine: TestEngine;

async function snapshot(env: Record<string, string>, command = 'snapshot') {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.resolve('dist/main.js'), command], { env: { PATH: process.env.PATH, LOG_LEVEL: 'error', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  engine = await createTestEngine('snapshot');
});

afterAll(async () => {
  await engine?.drop();
});

describe('transcript-search snapshot', () => {
  it('creates a snapshot task on the configured engine that succeeds, and says where the file goes', async () => {
    const result = await snapshot({ MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key });
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as { taskUid: number; status: string; file: string | null; where: string };
    expect(printed).toMatchObject({ status: 'succeeded', file: null, where: expect.stringContaining('--snapshot-dir') });
    const task = await engine.client.request<EngineTask>('GET', `/tasks/${printed.taskUid}`);
    expect(task).toMatchObject({ type: 'snapshotCreation', status: 'succeeded' });
  });

  it('writes the embedded engine’s snapshot under DATA_DIR and prints its path', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'transcript-search-snapshot-'));
    try {
      const result = await snapshot({ DATA_DIR: dataDir });
      expect(result.code, result.stderr).toBe(0);
      const printed = JSON.parse(result.stdout) as { status: string; file: string };
      expect(printed.status).toBe('succeeded');
      expect(printed.file).toBe(path.join(dataDir, 'meilisearch', 'snapshots', 'data.ms.snapshot'));
      expect(statSync(printed.file).size).toBeGreaterThan(0);
      // The engine writes it 0444: it holds every transcript and key, so it is made this user's alone.
      expect(statSync(printed.file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(printed.file)).mode & 0o777).toBe(0o700);
      // The engine it started for the command stopped with it.
      expect(existsSync(path.join(dataDir, 'meilisearch', 'engine.json'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('names MEILI_API_KEY when the engine does not let that key take snapshots', async () => {
    const created = await engine.client.request<{ key: string; uid: string }>('POST', '/keys', {
      body: { actions: ['search'], indexes: ['*'], expiresAt: null, description: 'snapshot test: search only' },
    });
    try {
      const result = await snapshot({ MEILI_URL: engine.url, MEILI_API_KEY: created.key });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('MEILI_API_KEY');
      expect(result.stderr).toContain('snapshots.create');
    } finally {
      await engine.client.request('DELETE', `/keys/${created.uid}`);
    }
  });
});

describe('transcript-search compact', () => {
  it('says when the engine cannot compact (Meilisearch 1.21) and what rewrites the database instead', async () => {
    const result = await snapshot({ MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix }, 'compact');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ compacted: [], reason: expect.stringMatching(/cannot compact indexes \(Meilisearch 1\.23 added it\).*--import-dump/) });
  });
});

