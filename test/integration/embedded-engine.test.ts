import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { EngineClient } from '../../src/engine/client.js';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/embedded.js';

/**
 * The embedded engine's files and keys (issue 14, items 11 and 13b): DATA_DIR is this user's alone,
 * a forged engine.json cannot make a command send the master key elsewhere, and the engine runs in
 * production mode without the keys Meilisearch makes for a new database.
 */
const DEFAULT_KEY_NAMES = ['Default Search API Key', 'Default Admin API Key', 'Default Read-Only Admin API Key', 'Default Chat API Key'];

const dirs: string[] = [];
const engines: EmbeddedEngine[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'transcript-search-embedded-'));
  dirs.push(dir);
  // Below a directory of our own that does not exist yet: the service creates DATA_DIR itself.
  return path.join(dir, 'data');
}

async function start(dataDir: string): Promise<EmbeddedEngine> {
  const engine = await startEmbeddedEngine({ dataDir });
  engines.push(engine);
  return engine;
}

const modeOf = (file: string) => lstatSync(file).mode & 0o777;

/** Every path under `root`, itself included. */
function walk(root: string): string[] {
  const stat = lstatSync(root);
  return [root, ...(stat.isDirectory() ? readdirSync(root).flatMap((entry) => walk(path.join(root, entry))) : [])];
}

function expectPrivate(root: string) {
  const loose = walk(root).filter((file) => lstatSync(file).mode & 0o077).map((file) => `${file} ${modeOf(file).toString(8)}`);
  expect(loose).toEqual([]);
}

async function keyNames(url: string, masterKey: string): Promise<string[]> {
  const client = new EngineClient({ url, apiKey: masterKey });
  try {
    const keys = await client.request<{ results: Array<{ name: string | null }> }>('GET', '/keys', { query: { limit: 1_000 } });
    return keys.results.map((key) => key.name ?? '');
  } finally {
    await client.close();
  }
}

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('files under DATA_DIR', () => {
  it('are created 0700 (directories) and 0600 (files), the engine\'s own included', async () => {
    const dataDir = newDataDir();
    const engine = await start(dataDir);
    const engineDir = path.join(dataDir, 'meilisearch');
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(engineDir)).toBe(0o700);
    for (const file of ['master-key', 'engine.json', 'engine.log']) expect(modeOf(path.join(engineDir, file)), file).toBe(0o600);
    expect(modeOf(path.join(engineDir, 'data.ms'))).toBe(0o700);
    // Indexes and tasks the engine writes after start are created under its umask too.
    const client = new EngineClient({ url: engine.url, apiKey: engine.masterKey });
    await client.waitForTask(await client.enqueue('POST', '/indexes', { body: { uid: 'modes' } }));
    await client.close();
    expectPrivate(dataDir);
  });

  it('of an install made before are tightened at start, in place', async () => {
    const dataDir = newDataDir();
    await (await start(dataDir)).stop();
    engines.length = 0;
    const engineDir = path.join(dataDir, 'meilisearch');
    for (const file of walk(dataDir)) chmodSync(file, lstatSync(file).isDirectory() ? 0o755 : 0o644);
    const inode = lstatSync(path.join(engineDir, 'master-key')).ino;
    await start(dataDir);
    expectPrivate(dataDir);
    expect(lstatSync(path.join(engineDir, 'master-key')).ino).toBe(inode);
  });
});

describe('engine.json', () => {
  let listener: Server;
  let listenerUrl: string;
  const received: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    listener = createServer((req, res) => {
      received.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"available"}');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => listener.close(resolve));
  });

  it.each([
    ['the pid of a live process that is not Meilisearch', () => ({ pid: process.pid, url: listenerUrl, ownerPid: process.pid })],
    ['a URL that is not loopback', () => ({ pid: process.pid, url: listenerUrl.replace('127.0.0.1', 'localhost'), ownerPid: process.pid })],
  ])('naming %s is ignored: the master key never reaches that address', async (_name, forged) => {
    received.length = 0;
    const dataDir = newDataDir();
    const engineDir = path.join(dataDir, 'meilisearch');
    // A first start creates the directory and the master key; the forged record replaces its own.
    const first = await start(dataDir);
    const masterKey = first.masterKey;
    await first.stop();
    engines.length = 0;
    writeFileSync(path.join(engineDir, 'engine.json'), JSON.stringify(forged()), { mode: 0o600 });

    const engine = await start(dataDir);
    expect(engine.url).not.toBe(listenerUrl);
    expect(engine.owned).toBe(true);
    expect(await keyNames(engine.url, masterKey)).toEqual(expect.any(Array));
    expect(received.filter((headers) => JSON.stringify(headers).includes(masterKey))).toEqual([]);
    expect(received).toEqual([]);
    expect(readFileSync(path.join(engineDir, 'engine.log'), 'utf8')).toContain('ignoring');
    expect(JSON.parse(readFileSync(path.join(engineDir, 'engine.json'), 'utf8'))).toMatchObject({ url: engine.url, ownerPid: process.pid });
  });

  it('naming our running engine at another address, or writable by others, stops the command: no rival, no key sent', async () => {
    received.length = 0;
    const dataDir = newDataDir();
    const running = await start(dataDir);
    const recordFile = path.join(dataDir, 'meilisearch', 'engine.json');
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { url: string };
    writeFileSync(recordFile, JSON.stringify({ ...record, url: listenerUrl }));
    await expect(startEmbeddedEngine({ dataDir })).rejects.toThrow(/does not listen at .*Meilisearch \(pid \d+\) serves this database/);
    expect(received).toEqual([]);
    writeFileSync(recordFile, JSON.stringify(record));
    chmodSync(recordFile, 0o666);
    await expect(startEmbeddedEngine({ dataDir })).rejects.toThrow(/others may write it.*serves this database/);
    // Meilisearch does not lock its database: a rival would have started. The engine is still ours alone.
    expect(await keyNames(running.url, running.masterKey)).toEqual(expect.any(Array));
  });

  it('of our own running engine is trusted: a second command reuses it', async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const second = await startEmbeddedEngine({ dataDir });
    expect(second).toMatchObject({ url: first.url, owned: false });
    await second.stop();
    expect(await keyNames(first.url, first.masterKey)).toEqual(expect.any(Array));
  });
});

describe('the engine', () => {
  it('runs in production mode with none of the default keys', async () => {
    const dataDir = newDataDir();
    const engine = await start(dataDir);
    expect(readFileSync(path.join(dataDir, 'meilisearch', 'engine.log'), 'utf8')).toMatch(/Environment:\s+"production"/);
    const names = await keyNames(engine.url, engine.masterKey);
    expect(names.filter((name) => DEFAULT_KEY_NAMES.includes(name))).toEqual([]);
  });

  it('the tests run against has none of the default keys either', async () => {
    const names = await keyNames(inject('engineUrl'), inject('engineKey'));
    expect(names.filter((name) => name.startsWith('Default '))).toEqual([]);
  });
});
