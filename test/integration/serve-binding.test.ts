import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineKeyUid } from '../../src/engine/keys.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * `transcript-search serve` as a process: without API keys it will not bind an address reachable from
 * other machines; with keys it does, and answers over real HTTP only to a valid key.
 */
const KEY = 'serve-binding-key-0123456789';

let engine: TestEngine;
let keysFile: string;
const children: ChildProcess[] = [];

function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [path.resolve('dist/main.js'), 'serve'], {
    env: { PATH: process.env.PATH, MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix, SYNC_INTERVAL_SECONDS: '0', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

beforeAll(async () => {
  engine = await createTestEngine('serve');
  keysFile = path.join(tmpdir(), `transcript-search-keys-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(keysFile, JSON.stringify([{ key: KEY, name: 'ops', role: 'admin' }]));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(keysFile, { force: true });
  for (const role of ['indexing', 'search'] as const) {
    await engine?.client.request('DELETE', `/keys/${engineKeyUid(engine.prefix, role)}`).catch(() => undefined);
  }
  await engine?.drop();
});

describe('transcript-search serve', () => {
  it('refuses to bind a non-loopback HOST without API_KEYS_FILE, naming HOST', async () => {
    const run = serve({ HOST: '0.0.0.0' });
    const code = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stderr()).toMatch(/HOST=0\.0\.0\.0/);
    expect(run.stderr()).toContain('API_KEYS_FILE');
  });

  it('refuses to start, exit 78, when an API_KEYS_FILE entry has a field it does not know, naming the entry', async () => {
    const typo = path.join(tmpdir(), `transcript-search-keys-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(typo, JSON.stringify([{ key: KEY, name: 'ops', role: 'admin' }, { key: `${KEY}-2`, name: 'support', role: 'search', companion: ['comp_a'] }]));
    try {
      const run = serve({ API_KEYS_FILE: typo });
      expect(await run.exited).toBe(78);
      expect(run.stderr()).toContain("API_KEYS_FILE: entry 1 ('support'): unknown field 'companion'");
    } finally {
      rmSync(typo, { force: true });
    }
  });

  it('binds it with API_KEYS_FILE and answers over HTTP to a valid key only', async () => {
    const run = serve({ HOST: '0.0.0.0', API_KEYS_FILE: keysFile });
    const lines = createInterface({ input: run.child.stderr! });
    let url: string | undefined;
    for await (const line of lines) {
      const entry = JSON.parse(line) as { msg: string; url?: string };
      if (entry.msg === 'listening') {
        url = entry.url!.replace('0.0.0.0', '127.0.0.1');
        break;
      }
    }
    expect(url).toBeDefined();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/v1/search/turns`)).status).toBe(401);
    expect((await fetch(`${url}/v1/search/turns`, { headers: { 'x-api-key': KEY } })).status).toBe(200);
    expect((await fetch(`${url}/v1/search/turns`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
