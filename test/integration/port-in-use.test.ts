import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `serve` and `demo` as processes when another process holds PORT: one line naming the port and the
 * variable, exit 69 (EX_UNAVAILABLE), no stack trace, and the embedded engine they started is stopped.
 */
let holder: Server;
let port: number;
let dataDir: string;

function run(command: 'serve' | 'demo'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.resolve('dist/main.js'), command],
      { env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'error', SYNC_INTERVAL_SECONDS: '0' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** Meilisearch processes serving this DATA_DIR's database, read from /proc. */
function enginesOn(dir: string): string[] {
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join(dir, 'meilisearch', 'data.ms'));
    } catch {
      return false;
    }
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'transcript-search-port-'));
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  port = (holder.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => holder.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

describe.each(['serve', 'demo'] as const)('%s with PORT taken', (command) => {
  it('says so in one line naming PORT, exits 69 and stops the engine it started', async () => {
    const { code, stdout, stderr } = await run(command);
    expect(stderr).toBe(`PORT ${port} is in use on 127.0.0.1: another process listens at 127.0.0.1:${port}; stop it or set PORT to a free port\n`);
    expect(code).toBe(69);
    expect(stdout).toBe('');
    // The engine was started (its database exists), and is gone with the command.
    expect(existsSync(path.join(dataDir, 'meilisearch', 'data.ms'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'meilisearch', 'engine.json'))).toBe(false);
    expect(enginesOn(dataDir)).toEqual([]);
  });
});
