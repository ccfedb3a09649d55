import { parseArgs } from 'node:util';
import { loadConfig, type Config } from './config.js';
import { AppError, errorMessage } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { SyncController } from './ingest/sync-controller.js';
import { forgetClient } from './ingest/forget-client.js';
import { ForgottenClients } from './ingest/forgotten.js';
import { connectEngine, openEngine, sourceFactories, SYNC_ENGINE_PATIENCE_MS } from './runtime.js';
import { createSnapshot } from './engine/snapshot.js';
import { markedText } from './engine/highlight.js';
import { indexNames } from './engine/indexes.js';
import { startServer } from './serve.js';
import { runDemo } from './demo/run-demo.js';
import { importFiles } from './ingest/import-files.js';
import { searchSessions } from './search/sessions.js';
import { searchTurns } from './search/turns.js';
import { parseSearchRequest } from './search/params.js';
import type { SyncSummary } from './ingest/pipeline.js';
import { isSourceName, SOURCE_CHOICES, SOURCE_NAMES, SOURCE_SETUP_HINT } from './sources/registry.js';

const USAGE = `Usage: transcript-search <command>

Commands:
  serve                         API and periodic sync of configured sources
  sync [--source ${SOURCE_NAMES.join('|')}] [--full]
                                one pass over the configured sources; prints a JSON summary
  import FILE...                import .json/.jsonl(.gz) exports of either vendor shape
  search QUERY [--sessions] [--companion ID]... [--client ID]... [--tag K:V]... [--role user|agent] [--json]
  forget CLIENT_ID              delete every session and turn of that external client, and refuse
                                its sessions from then on (sync, import, push)
  forget --undo CLIENT_ID       re-enable a forgotten client: its sessions are accepted again
  forget --list                 list forgotten clients
  snapshot                      snapshot the engine's database (restore: see README); prints where it is
  compact                       rewrite the indexes without what deleted documents left on disk (forgotten
                                clients' text), where the engine can (Meilisearch 1.23 and later)
  demo                          serve with a built-in synthetic source (Quick start)

Configuration is read from the environment; see README.md.`;

export type CliIo = { stdout: (text: string) => void; stderr: NodeJS.WriteStream };

/** Runs one command and returns the exit code. `env` is the only source of configuration. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(`${USAGE}\n`);
    return command ? 0 : 64;
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    io.stderr.write(`${errorMessage(error)}\n`);
    return 78;
  }
  const log = createLogger(config.logLevel);
  const stopExitingOnSignal = exitOnSignal();
  try {
    switch (command) {
      case 'serve':
        return await serveUntilSignal(() => startServer(config, log), log, stopExitingOnSignal);
      case 'demo':
        return await serveUntilSignal(() => runDemo(config, log, io), log, stopExitingOnSignal);
      case 'sync':
        return await syncCommand(config, log, rest, io);
      case 'import':
        return await importCommand(config, rest, io);
      case 'search':
        return await searchCommand(config, rest, io);
      case 'forget':
        return await forgetCommand(config, rest, io);
      case 'snapshot':
        return await snapshotCommand(config, rest, io);
      case 'compact':
        return await compactCommand(config, rest, io);
      default:
        io.stderr.write(`Unknown command '${command}'.\n\n${USAGE}\n`);
        return 64;
    }
  } catch (error) {
    if (error instanceof AppError || (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`${errorMessage(error)}\n`);
      return error instanceof AppError && error.code === 'config_invalid' ? 78 : 1;
    }
    throw error;
  } finally {
    stopExitingOnSignal();
  }
}

/**
 * Until a command installs its own handling, SIGINT or SIGTERM ends the process at once, but by
 * exiting rather than dying: that runs the exit hook stopping an embedded engine this process started
 * (it runs in a process group of its own, so the terminal's Ctrl+C does not reach it). Returns the
 * function that removes this handling.
 */
function exitOnSignal(): () => void {
  const onSignal = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Orchestrators kill at ~10 s; whatever still holds the process by then is cut short just before. */
const HARD_STOP_MS = 9_500;

/**
 * Runs until SIGTERM or SIGINT, then stops gracefully (serve.ts: requests in flight, a sync's
 * checkpoint, the engine). A second signal ends the process at once, and so does one during start-up,
 * when there is nothing to drain yet.
 */
async function serveUntilSignal(start: () => Promise<{ stop(): Promise<void> }>, log: Logger, stopExitingOnSignal: () => void): Promise<number> {
  const server = await start();
  stopExitingOnSignal();
  const signal = await nextSignal();
  log.info('shutting down', { signal });
  void nextSignal().then((again) => {
    log.warn('second signal: exiting without finishing the shutdown', { signal: again });
    process.exit(again === 'SIGINT' ? 130 : 143);
  });
  // Unreferenced: it fires only if something keeps the process alive after the shutdown has had its time.
  setTimeout(() => {
    log.error('shutdown did not finish in time; exiting', { waitedMs: HARD_STOP_MS });
    process.exit(process.exitCode ?? 1);
  }, HARD_STOP_MS).unref();
  await server.stop();
  return 0;
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function snapshotCommand(config: Config, args: string[], io: CliIo): Promise<number> {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  const connection = await connectEngine(config);
  try {
    io.stdout(`${JSON.stringify(await createSnapshot(connection))}\n`);
    return 0;
  } finally {
    await connection.close();
  }
}

async function compactCommand(config: Config, args: string[], io: CliIo): Promise<number> {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  const connection = await connectEngine(config);
  try {
    const names = indexNames(config.indexPrefix);
    const compacted: string[] = [];
    for (const uid of [names.turns, names.sessions, names.state]) {
      const task = await connection.client.compactIndex(uid);
      if (task === undefined) {
        io.stdout(`${JSON.stringify({ compacted: [], reason: COMPACTION_UNSUPPORTED })}\n`);
        return 0;
      }
      await connection.client.waitForTask(task, { timeoutMs: 6 * 3_600_000 });
      compacted.push(uid);
    }
    io.stdout(`${JSON.stringify({ compacted })}\n`);
    return 0;
  } finally {
    await connection.close();
  }
}

const COMPACTION_UNSUPPORTED =
  'this engine cannot compact indexes (Meilisearch 1.23 added it); to rewrite the database without what deleted documents left behind, export a dump (POST /dumps) and start an empty engine with --import-dump (README: Forgetting a client)';

async function syncCommand(config: Config, log: Logger, args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { source: { type: 'string' }, full: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  if (values.source !== undefined && !isSourceName(values.source)) {
    throw new AppError('bad_request', `--source must be ${SOURCE_CHOICES}, got '${values.source}'`);
  }
  const factories = sourceFactories(config).filter((factory) => !values.source || factory.name === values.source);
  if (factories.length === 0) {
    throw new AppError(
      'config_invalid',
      values.source
        ? `Source '${values.source}' is not configured`
        : `No source is configured: ${SOURCE_SETUP_HINT}`,
    );
  }
  const engine = await openEngine(config);
  try {
    const controller = new SyncController({ engine: engine.client.patient(SYNC_ENGINE_PATIENCE_MS), names: engine.names, log, sources: factories, concurrency: config.sourceConcurrency });
    const showProgress = io.stderr.isTTY === true;
    const summaries = await controller.run({
      full: values.full,
      onProgress: showProgress
        ? (p) => io.stderr.write(`\r${p.source}: listed ${p.listed}, indexed ${p.sessions} sessions / ${p.turns} turns, skipped ${p.skipped}, failed ${p.failed}   `)
        : undefined,
    });
    if (showProgress) io.stderr.write('\n');
    io.stdout(`${JSON.stringify(syncTotals(summaries))}\n`);
    if (summaries.some((summary) => summary.error !== null || summary.failed > 0)) return 1;
    return summaries.some((summary) => summary.skipped > 0) ? 2 : 0;
  } finally {
    await engine.close();
  }
}

function syncTotals(summaries: SyncSummary[]) {
  const sum = (key: 'sessions' | 'turns' | 'skipped' | 'failed' | 'unchanged' | 'deleted' | 'vanished' | 'refused' | 'retries') =>
    summaries.reduce((total, summary) => total + summary[key], 0);
  return {
    sessions: sum('sessions'),
    turns: sum('turns'),
    skipped: sum('skipped'),
    failed: sum('failed'),
    unchanged: sum('unchanged'),
    deleted: sum('deleted'),
    vanished: sum('vanished'),
    refused: sum('refused'),
    retries: sum('retries'),
    durationMs: Math.max(0, ...summaries.map((summary) => summary.durationMs)),
    sources: summaries.map(({ skippedSessions, ...summary }) => ({ ...summary, skippedSessions: skippedSessions.slice(0, 20) })),
  };
}

async function importCommand(config: Config, files: string[], io: CliIo): Promise<number> {
  if (files.length === 0) throw new AppError('bad_request', 'import needs at least one FILE');
  const engine = await openEngine(config);
  try {
    const result = await importFiles({ engine: engine.client, names: engine.names }, files, (problem) => io.stderr.write(`${problem}\n`));
    io.stdout(`${JSON.stringify(result)}\n`);
    return result.skipped > 0 || result.refused > 0 ? 2 : 0;
  } finally {
    await engine.close();
  }
}

async function searchCommand(config: Config, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      sessions: { type: 'boolean', default: false },
      companion: { type: 'string', multiple: true },
      client: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      role: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const query: Record<string, string[]> = { q: [positionals.join(' ')] };
  if (values.companion) query.companionId = values.companion;
  if (values.client) query.externalClientId = values.client;
  if (values.tag) query.tag = values.tag;
  if (values.role) query.role = [values.role];
  const kind = values.sessions ? 'sessions' : 'turns';
  const request = parseSearchRequest(query, kind);
  const engine = await openEngine(config);
  try {
    const deps = { engine: engine.client, names: engine.names };
    const result = kind === 'sessions' ? await searchSessions(deps, request) : await searchTurns(deps, request);
    if (values.json) {
      io.stdout(`${JSON.stringify(result)}\n`);
      return 0;
    }
    io.stdout(`${result.totalHits} ${kind} match\n`);
    for (const hit of result.hits) {
      const plain = markedText('snippet' in hit ? hit.snippet : hit.highlight, '*');
      const where = 'turnIndex' in hit ? `${hit.sessionId}#${hit.turnIndex} ${hit.role}` : `${hit.sessionId} (${hit.turnCount} turns)`;
      io.stdout(`${where} [${hit.companionId ?? '-'}]: ${plain}\n`);
    }
    return 0;
  } finally {
    await engine.close();
  }
}

async function forgetCommand(config: Config, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { undo: { type: 'boolean', default: false }, list: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: true,
  });
  if (values.list ? values.undo || positionals.length > 0 : positionals.length !== 1) {
    throw new AppError('bad_request', 'forget needs exactly one CLIENT_ID (forget [--undo] CLIENT_ID), or --list alone');
  }
  const [clientId = ''] = positionals;
  const engine = await openEngine(config);
  try {
    const store = new ForgottenClients(engine.client, engine.names);
    if (values.list) {
      io.stdout(`${JSON.stringify({ clients: await store.list() })}\n`);
    } else if (values.undo) {
      const removed = await store.remove(clientId);
      if (!removed) throw new AppError('not_found', `Client '${clientId}' is not forgotten`);
      io.stdout(`${JSON.stringify({ externalClientId: clientId, reenabled: true, forgotten: removed })}\n`);
    } else {
      io.stdout(`${JSON.stringify(await forgetClient({ engine: engine.client, names: engine.names }, clientId, { by: 'cli' }))}\n`);
    }
    return 0;
  } finally {
    await engine.close();
  }
}
