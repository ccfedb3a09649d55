import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { EngineClient } from '../src/engine/client.js';
import { startEmbeddedEngine } from '../src/engine/embedded.js';
import { indexNames } from '../src/engine/indexes.js';
import { NAPSTER_CORPUS } from '../test/support/corpus.js';
import { bulkPush } from './bulk-push.js';
import { recordEngineCalls, replayEngineCalls } from './engine-calls.js';
import { measureLatency } from './latency.js';
import { writeNdjsonBatches } from './ndjson-batches.js';
import { positiveInteger } from './options.js';
import { embeddedEnginePid, statusKb } from './process-usage.js';
import { QUERIES } from './queries.js';
import { loadBaseCorpus, replicate } from './replicated-corpus.js';
import { percentiles } from './stats.js';

/*
 * `node --import tsx bench/footprint.ts --scale N`: what one engine needs for N× the corpus, for
 * docs/scaling.md. A throwaway embedded engine of its own (fresh database, nothing else in it) gets the
 * replicated corpus as the project's documents with the project's settings, pushed in bulk (the
 * engine's limit, bench/bulk-push.ts); then its memory (resident, split into the engine's own
 * anonymous memory and the index files it has mapped in), its database on disk, and search latency
 * over the benchmark's query set sent directly to it. Prints one JSON line and writes
 * bench/results/footprint-<N>x.json.
 */

const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');
const USAGE = 'Usage: node --import tsx bench/footprint.ts [--scale N] [--sessions N] [--rounds N]';

const progress = (message: string) => process.stderr.write(`[footprint ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

type Memory = { rssMb: number; anonMb: number; fileMb: number; peakRssMb: number };

/** The kernel's account of the process: anonymous memory is the engine's own; file pages are the mapped index, which the kernel may drop. */
function memoryOf(pid: number): Memory {
  const status = statusKb(pid, ['VmRSS', 'RssAnon', 'RssFile', 'VmHWM']);
  if (!status) throw new Error(`the engine (pid ${pid}) is gone`);
  const mb = (kb: number | undefined) => (kb ?? Number.NaN) / 1024;
  return { rssMb: mb(status.VmRSS), anonMb: mb(status.RssAnon), fileMb: mb(status.RssFile), peakRssMb: mb(status.VmHWM) };
}

/** Bytes the directory's files take on disk (allocated blocks, not apparent sizes: the database files are sparse). */
function diskBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += diskBytes(full);
    else if (entry.isFile()) total += statSync(full).blocks * 512;
  }
  return total;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { scale: { type: 'string' }, sessions: { type: 'string' }, rounds: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const scale = positiveInteger('scale', values.scale, 1, USAGE);
  const sessions = positiveInteger('sessions', values.sessions, Number.MAX_SAFE_INTEGER, USAGE);
  const rounds = positiveInteger('rounds', values.rounds, 10, USAGE);
  const loadBefore = os.loadavg();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'transcript-search-footprint-'));
  const dataDir = path.join(workDir, 'data');
  let embedded = await startEmbeddedEngine({ dataDir });
  let client = new EngineClient({ url: embedded.url, apiKey: embedded.masterKey });
  try {
    const pid = embeddedEnginePid(dataDir);
    const database = path.join(dataDir, 'meilisearch', 'data.ms');
    const { pkgVersion } = await client.request<{ pkgVersion: string }>('GET', '/version');
    const empty = { memory: memoryOf(pid), diskMb: diskBytes(database) / 1024 ** 2 };

    const corpus = replicate(await loadBaseCorpus(NAPSTER_CORPUS, sessions), scale);
    progress(`${scale}×: flattening ${corpus.total} sessions (${corpus.turns} turns) into NDJSON`);
    const batches = await writeNdjsonBatches(corpus, mkdtempSync(path.join(workDir, 'ndjson-')));

    progress(`${scale}×: pushing into engine ${pkgVersion} (pid ${pid})`);
    let peakAnonMb = 0;
    const sampler = setInterval(() => (peakAnonMb = Math.max(peakAnonMb, memoryOf(pid).anonMb)), 250).unref();
    const push = await bulkPush({ client, pid }, batches, '', 'project');
    clearInterval(sampler);
    const loaded = { memory: memoryOf(pid), peakAnonMb: Math.max(peakAnonMb, memoryOf(pid).anonMb), diskMb: diskBytes(database) / 1024 ** 2 };
    const stats = await client.request<{ databaseSize: number; usedDatabaseSize: number }>('GET', '/stats');
    rmSync(path.dirname(batches.turns[0]!), { recursive: true, force: true });

    progress(`${scale}×: search, 1 warm-up + ${rounds} rounds of ${QUERIES.length} queries, direct to the engine`);
    const calls = await recordEngineCalls({ url: embedded.url, apiKey: embedded.masterKey }, indexNames(''), QUERIES);
    const pool = new Pool(embedded.url, { connections: 4 });
    const latency = await measureLatency(QUERIES, { direct: (query) => replayEngineCalls(pool, embedded.masterKey, calls.get(query.name)!) }, { rounds, warmupRounds: 1 }).finally(() => pool.close());
    const p50 = (name: string) => latency.perQuery.find((query) => query.name === name)!.p50.direct;
    const group = (test: (name: string) => boolean) => {
      const medians = latency.perQuery.filter((query) => test(query.name)).map((query) => query.p50.direct);
      return { p50Min: Math.min(...medians), p50Max: Math.max(...medians), p50Median: percentiles(medians).p50 };
    };
    const searched = { memory: memoryOf(pid) };

    // A process that only serves searches (a replica, or this engine after a restart): its memory
    // without what indexing left allocated, after the same query rounds.
    progress(`${scale}×: the same searches on the engine restarted`);
    await client.close();
    await embedded.stop();
    embedded = await startEmbeddedEngine({ dataDir });
    client = new EngineClient({ url: embedded.url, apiKey: embedded.masterKey });
    const restartedPid = embeddedEnginePid(dataDir);
    const restartedEmpty = memoryOf(restartedPid);
    const restartedPool = new Pool(embedded.url, { connections: 4 });
    const restartedLatency = await measureLatency(QUERIES, { direct: (query) => replayEngineCalls(restartedPool, embedded.masterKey, calls.get(query.name)!) }, { rounds, warmupRounds: 1 }).finally(() => restartedPool.close());
    const restarted = { memoryAtStart: restartedEmpty, memoryAfterSearch: memoryOf(restartedPid), search: restartedLatency.sides.direct };

    const millions = corpus.turns / 1e6;
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.availableParallelism(), ramGb: Math.round(os.totalmem() / 1024 ** 3), meilisearch: pkgVersion },
      load: { before: loadBefore, after: os.loadavg() },
      scale,
      sessions: corpus.total,
      turns: corpus.turns,
      ndjsonMb: batches.bytes / 1024 ** 2,
      empty,
      index: {
        seconds: push.seconds,
        docsPerSecond: push.docsPerSecond,
        engineCpuSeconds: push.cpuSeconds.engine,
        batches: push.batching,
      },
      loaded,
      engineStats: { databaseSizeMb: stats.databaseSize / 1024 ** 2, usedDatabaseSizeMb: stats.usedDatabaseSize / 1024 ** 2 },
      search: {
        all: latency.sides.direct,
        turns: group((name) => name.startsWith('turns')),
        sessionsWithText: group((name) => name.startsWith('sessions') && /phrase|word|flight/.test(name)),
        sessionsWithoutText: group((name) => name === 'sessions by companion' || name === 'sessions all + facets'),
        facets: group((name) => name.startsWith('facet')),
        worstQuery: latency.perQuery.reduce((worst, query) => (query.p50.direct > p50(worst) ? query.name : worst), QUERIES[0]!.name),
      },
      searched,
      restarted,
      perMillionTurns: {
        diskMb: loaded.diskMb / millions,
        anonMbAfterLoad: loaded.memory.anonMb / millions,
        peakAnonMbWhileIndexing: loaded.peakAnonMb / millions,
        rssMbAfterSearch: searched.memory.rssMb / millions,
        restartedRssMbAfterSearch: restarted.memoryAfterSearch.rssMb / millions,
      },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, `footprint-${scale}x.json`), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await client.close();
    await embedded.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
