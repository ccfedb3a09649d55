import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { EngineClient } from '../src/engine/client.js';
import { startEmbeddedEngine } from '../src/engine/embedded.js';
import { indexNames } from '../src/engine/indexes.js';
import { NAPSTER_CORPUS } from '../test/support/corpus.js';
import { bulkPush, warmUpEngine } from './bulk-push.js';
import { getApi, recordEngineCalls, replayEngineCalls } from './engine-calls.js';
import { deleteIndexes } from './engine-tasks.js';
import { measureExports } from './export.js';
import { measureLatency, type Side } from './latency.js';
import { writeNdjsonBatches } from './ndjson-batches.js';
import { parseBenchOptions, type BenchOptions } from './options.js';
import { embeddedEnginePid } from './process-usage.js';
import { CONVERSATION_QUERIES, QUERIES } from './queries.js';
import { loadBaseCorpus, replicate, type BaseCorpus } from './replicated-corpus.js';
import { startReplicaUpstream } from './replica-upstream.js';
import { checkTargets, formatReport, type BenchResult, type ScaleResult, type SearchResult } from './report.js';
import { startRelay } from './relay-process.js';
import { startServe } from './serve-process.js';
import { runSyncCommand } from './sync-process.js';
import { measureThroughput } from './throughput.js';
import { createTrackers, TRACKER_COUNT } from './trackers.js';

/**
 * `npm run bench`: one engine, one run, every number side by side with its reference (see issue 7 and
 * BENCHMARKS.md). Progress goes to stderr; the table and one JSON line go to stdout, and the JSON to
 * bench/results/latest.json.
 */
const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');

type Engine = { client: EngineClient; url: string; masterKey: string; pid: number };

const progress = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

async function measureScale(engine: Engine, base: BaseCorpus, scale: number, options: BenchOptions, workDir: string): Promise<ScaleResult> {
  const corpus = replicate(base, scale);
  const dir = mkdtempSync(path.join(workDir, `ndjson-${scale}x-`));
  progress(`${scale}×: flattening ${corpus.total} sessions into NDJSON batches`);
  const batches = await writeNdjsonBatches(corpus, dir);
  if (scale === 1) await warmUpEngine(engine.client, batches);

  progress(`${scale}×: lean documents, default settings, bulk push`);
  const defaultPrefix = `default_${scale}x_`;
  const defaultPush = await bulkPush(engine, batches, defaultPrefix, 'default', batches.lean);
  await deleteIndexes(engine.client, Object.values(indexNames(defaultPrefix)));

  progress(`${scale}×: limit (project settings, bulk push)`);
  const limitPrefix = `limit_${scale}x_`;
  const limit = await bulkPush(engine, batches, limitPrefix, 'project');
  const limitNames = indexNames(limitPrefix);
  await assertCounts(engine.client, limitNames, batches.sessionCount, batches.turnCount, 'limit');
  await deleteIndexes(engine.client, Object.values(limitNames));
  rmSync(dir, { recursive: true, force: true });

  progress(`${scale}×: sync command from the local upstream`);
  /** `transcript-search sync` of the corpus from a fresh upstream into indexes under `prefix`, which then hold all of it. */
  const syncInto = async (prefix: string, what: string, redact?: string) => {
    const upstream = await startReplicaUpstream(corpus);
    const result = await runSyncCommand({
      engine: engine.client,
      engineUrl: engine.url,
      masterKey: engine.masterKey,
      enginePid: engine.pid,
      prefix,
      upstream,
      sourceConcurrency: options.sourceConcurrency,
      redact,
    }).finally(() => upstream.close());
    await assertCounts(engine.client, indexNames(prefix), corpus.total, corpus.turns, what);
    return result;
  };
  const sync = await syncInto(`sync_${scale}x_`, 'sync');

  // At 1× only (each cost is a ratio to the plain sync), into indexes that go at once: the same sync
  // with trackers to evaluate on every batch it writes, and with every built-in redaction on.
  let tracked: ScaleResult['tracked'];
  let syncRedacted: ScaleResult['syncRedacted'];
  if (scale === 1) {
    progress(`${scale}×: sync command with ${TRACKER_COUNT} trackers`);
    const trackedPrefix = `tracked_${scale}x_`;
    const trackers = await createTrackers(engine.client, indexNames(trackedPrefix));
    const trackedSync = await syncInto(trackedPrefix, 'sync with trackers');
    await deleteIndexes(engine.client, Object.values(indexNames(trackedPrefix)));
    tracked = { trackers, sync: trackedSync, overhead: trackedSync.seconds / sync.seconds - 1 };

    progress(`${scale}×: sync command with REDACT=all`);
    const redactedPrefix = `sync_redacted_${scale}x_`;
    syncRedacted = await syncInto(redactedPrefix, 'sync with REDACT=all', 'all');
    await deleteIndexes(engine.client, Object.values(indexNames(redactedPrefix)));
  }
  return {
    scale,
    sessions: corpus.total,
    turns: corpus.turns,
    ndjsonMb: batches.bytes / 1024 / 1024,
    defaultPush,
    limit,
    sync,
    syncRedacted,
    syncToLimit: sync.seconds / limit.seconds,
    redactedToSync: syncRedacted && syncRedacted.seconds / sync.seconds,
    syncToDefaultPush: sync.seconds / defaultPush.seconds,
    tracked,
  };
}

async function assertCounts(client: EngineClient, names: ReturnType<typeof indexNames>, sessions: number, turns: number, phase: string): Promise<void> {
  const counted = { sessions: await client.documentCount(names.sessions), turns: await client.documentCount(names.turns) };
  if (counted.sessions !== sessions || counted.turns !== turns) {
    throw new Error(`${phase}: the engine holds ${counted.sessions} sessions / ${counted.turns} turns, expected ${sessions} / ${turns}`);
  }
}

async function measureSearch(engine: Engine, prefix: string, scale: number, options: BenchOptions): Promise<SearchResult> {
  const names = indexNames(prefix);
  progress('search: recording the engine calls behind each API query');
  const calls = await recordEngineCalls({ url: engine.url, apiKey: engine.masterKey }, names, QUERIES);
  const serve = await startServe(engine, prefix);
  const relayProcess = await startRelay({ url: engine.url, apiKey: engine.masterKey }, QUERIES, calls).catch(async (error: unknown) => {
    await serve.stop();
    throw error;
  });
  const apiPool = new Pool(serve.url, { connections: options.clients });
  const enginePool = new Pool(engine.url, { connections: options.clients });
  const relayPool = new Pool(relayProcess.url, { connections: options.clients });
  try {
    const api: Side = (query) => getApi(apiPool, query.path);
    const direct: Side = (query) => replayEngineCalls(enginePool, engine.masterKey, calls.get(query.name)!);
    const relay: Side = (query) => getApi(relayPool, query.path);
    progress(`search: latency, ${options.warmupRounds} warm-up + ${options.rounds} rounds of ${QUERIES.length} queries`);
    const latency = await measureLatency(QUERIES, { api, relay, direct }, options);
    await relayPool.close();
    await relayProcess.stop();
    // A request neither side does any work for: the API's own /health against the engine's.
    const health = { name: 'health', path: '/health' };
    const roundTrip = await measureLatency(
      [health],
      {
        api: () => getApi(apiPool, health.path),
        direct: () => replayEngineCalls(enginePool, engine.masterKey, [{ method: 'GET', path: health.path }]),
      },
      { rounds: options.rounds * 10, warmupRounds: options.warmupRounds },
    );
    progress(`search: throughput, ${options.clients} clients, ${options.throughputSeconds} s per side`);
    const throughput = await measureThroughput(QUERIES, api, direct, {
      clients: options.clients,
      seconds: options.throughputSeconds,
      pids: { engine: engine.pid, serve: serve.pid },
    });
    progress(`conversation: latency, ${options.warmupRounds} warm-up + ${options.rounds} rounds of ${CONVERSATION_QUERIES.length} two-condition session searches`);
    const conversation = await measureLatency(CONVERSATION_QUERIES, { api }, options);
    const engineCalls = [...calls.values()].reduce((sum, list) => sum + list.length, 0);
    const { peakRssMb } = await serve.stop();
    // A process of its own: its memory before the export is a serve's at rest, not one the load above grew.
    const exporting = await startServe(engine, prefix);
    let exports;
    try {
      progress('export: every turn, as JSON lines and as CSV');
      exports = await measureExports(exporting.url, exporting.pid);
    } finally {
      await exporting.stop();
    }
    return {
      scale,
      latency,
      roundTrip: roundTrip.sides,
      throughput,
      engineCallsPerQuery: engineCalls / QUERIES.length,
      servePeakRssMb: peakRssMb,
      conversation,
      exports,
    };
  } finally {
    await apiPool.close();
    await enginePool.close();
    if (!relayPool.closed) await relayPool.close();
    await relayProcess.stop();
    await serve.stop();
  }
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const loadBefore = os.loadavg();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'transcript-search-bench-'));
  const dataDir = path.join(workDir, 'data');
  const embedded = await startEmbeddedEngine({ dataDir });
  const client = new EngineClient({ url: embedded.url, apiKey: embedded.masterKey });
  try {
    const engine: Engine = { client, url: embedded.url, masterKey: embedded.masterKey, pid: embeddedEnginePid(dataDir) };
    const { pkgVersion } = await client.request<{ pkgVersion: string }>('GET', '/version');
    progress(`engine ${pkgVersion} at ${embedded.url}; reading the corpus`);
    const base = await loadBaseCorpus(NAPSTER_CORPUS, options.sessions);

    const scales: ScaleResult[] = [];
    for (const scale of options.scale > 1 ? [1, options.scale] : [1]) {
      // Only the largest scale's indexes stay, for the search phase.
      const previous = scales.at(-1);
      if (previous) await deleteIndexes(client, Object.values(indexNames(`sync_${previous.scale}x_`)));
      scales.push(await measureScale(engine, base, scale, options, workDir));
    }
    const searchScale = scales.at(-1)!.scale;
    const search = await measureSearch(engine, `sync_${searchScale}x_`, searchScale, options);

    const cpu = os.cpus()[0];
    const result: BenchResult = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.availableParallelism(),
        model: cpu?.model.trim() ?? 'unknown',
        ramGb: Math.round(os.totalmem() / 1024 ** 3),
        node: process.versions.node,
        meilisearch: pkgVersion,
      },
      load: { before: loadBefore, after: os.loadavg() },
      options: { ...options, sessions: base.sessions.length },
      scales,
      search,
      targets: checkTargets(scales, search),
    };
    process.stdout.write(`\n${formatReport(result)}\n\n${JSON.stringify(result)}\n`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await client.close();
    await embedded.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
