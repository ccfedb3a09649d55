import type { Config } from './config.js';
import { ingestDeps, type IngestDeps, type IngestHooks } from './ingest/deps.js';
import { Redactor } from './redact/redactor.js';
import { EngineClient } from './engine/client.js';
import { startEmbeddedEngine, type EngineSupervision } from './engine/embedded.js';
import { ensureIndexes, indexesExist, indexNames, type IndexNames } from './engine/indexes.js';
import { Leases } from './engine/lease.js';
import { provisionEngineKeys } from './engine/keys.js';
import { provisionTokenSigners, type TokenSigners } from './engine/token-signers.js';
import { AppError, ConfigError, EngineError, EngineUnavailableError } from './errors.js';
import type { SourceHttpOptions } from './sources/http.js';
import type { SessionSource } from './sources/source.js';
import type { Logger } from './logger.js';
import type { TrackerObserver } from './trackers/evaluate.js';
import { TrackerService } from './trackers/service.js';
import { engineUrlsOf } from './trackers/webhook-url.js';

/** A sync waits this long for an engine that went away (restart, upgrade) before it gives up. */
export const SYNC_ENGINE_PATIENCE_MS = 5 * 60_000;

/**
 * The engine a command works against: the configured one, or an embedded one it may have started.
 * `tokenSigners` sign tenant tokens; they are there when asked for and the service holds the master
 * key (with another key, used as it is, there are none).
 */
export type EngineHandle = { client: EngineClient; names: IndexNames; tokenSigners?: TokenSigners; close(): Promise<void> };

/**
 * The engine as the operator configured it, answering /health: its client holds the key given
 * (MEILI_MASTER_KEY, MEILI_API_KEY, or the embedded engine's master key), for engine-wide work such
 * as snapshots. `embedded` is set when the engine runs under DATA_DIR.
 */
export type EngineConnection = {
  client: EngineClient;
  url: string;
  isMaster: boolean;
  embedded?: { dataDir: string };
  close(): Promise<void>;
};

/** `supervise`: restart an embedded engine this command starts when it exits on its own (`serve`, `demo`). */
export async function connectEngine(config: Config, options: { waitForEngineMs?: number; supervise?: EngineSupervision } = {}): Promise<EngineConnection> {
  let url: string;
  let apiKey: string | undefined;
  let isMaster: boolean;
  let stopEmbedded = async () => {};
  if (config.engine.url) {
    url = config.engine.url;
    apiKey = config.engine.apiKey;
    isMaster = config.engine.apiKeyIsMaster;
  } else {
    const embedded = await startEmbeddedEngine({ dataDir: config.dataDir, bin: config.engine.bin, supervise: options.supervise });
    url = embedded.url;
    apiKey = embedded.masterKey;
    isMaster = true;
    stopEmbedded = embedded.stop;
  }
  const client = new EngineClient({ url, apiKey });
  const close = async () => {
    await client.close();
    await stopEmbedded();
  };
  try {
    const deadline = Date.now() + (options.waitForEngineMs ?? 30_000);
    while (!(await client.isHealthy())) {
      if (Date.now() > deadline) throw new EngineUnavailableError(`Meilisearch at ${url} is not answering /health`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { client, url, isMaster, embedded: config.engine.url ? undefined : { dataDir: config.dataDir }, close };
}

/**
 * `tokenSigners`: the signer ids to keep (token-signers.ts), one per API key or the open API's; the
 * signers of other ids under this prefix are deleted. Only `serve` passes them: it alone reads
 * API_KEYS_FILE, and a CLI command run without it must not take the API keys' signers for stale ones.
 * `read`: for a command that only reads (`search`): it creates no index, reads the demo's indexes
 * when INDEX_PREFIX has none (`names` then says so), and fails when neither exists.
 */
export async function openEngine(
  config: Config,
  options: { waitForEngineMs?: number; tokenSigners?: readonly string[]; read?: boolean; supervise?: EngineSupervision } = {},
): Promise<EngineHandle> {
  const connection = await connectEngine(config, options);
  const { url, isMaster } = connection;
  let client = connection.client;
  try {
    const prefix = options.read ? await prefixToRead(client, config.indexPrefix) : config.indexPrefix;
    const names = indexNames(prefix);
    if (!options.read) await ensureIndexes(client, names);
    let tokenSigners: TokenSigners | undefined;
    if (isMaster) {
      // The master key is needed only up to here: from now on a leak of this process's engine key
      // exposes its own indexes, not the engine.
      const keys = await provisionEngineKeys(client, prefix);
      if (options.tokenSigners) tokenSigners = await provisionTokenSigners(client, prefix, options.tokenSigners);
      client = new EngineClient({ url, apiKey: keys.indexing.key });
      await connection.client.close();
    }
    return {
      client,
      names,
      tokenSigners,
      close: async () => {
        await client.close();
        await connection.close();
      },
    };
  } catch (error) {
    await client.close();
    await connection.close();
    throw refusedKeyAsConfigError(error, url, isMaster);
  }
}

/** `demo` writes its indexes under this prefix, so its data never mixes with a deployment's. */
export function demoIndexPrefix(prefix: string): string {
  return `${prefix}demo_`;
}

/**
 * The prefix whose indexes a read-only command reads: INDEX_PREFIX's, or else the demo's, so that
 * `search` right after `demo` finds what the demo indexed. Nothing indexed at all is an error, not
 * an empty answer: "0 matches" would send the user looking for a problem with the query.
 */
async function prefixToRead(client: EngineClient, prefix: string): Promise<string> {
  if (await indexesExist(client, indexNames(prefix))) return prefix;
  // A key limited to INDEX_PREFIX's indexes may not look at the demo's: to it they do not exist.
  const demoIndexed = await indexesExist(client, indexNames(demoIndexPrefix(prefix))).catch((error: unknown) => {
    if (error instanceof EngineError) return false;
    throw error;
  });
  if (demoIndexed) return demoIndexPrefix(prefix);
  throw new AppError('not_found', `nothing is indexed under INDEX_PREFIX='${prefix}' yet: run sync, import or demo first`);
}

/** The engine refusing our key is a configuration mistake: say which variable holds the key. */
function refusedKeyAsConfigError(error: unknown, url: string, isMaster: boolean): unknown {
  const refused = ['invalid_api_key', 'missing_authorization_header', 'missing_master_key'];
  if (!(error instanceof EngineError && refused.includes(error.engineCode ?? ''))) return error;
  return new ConfigError(
    isMaster
      ? `MEILI_MASTER_KEY: the engine at ${url} does not accept it as its master key (${error.message}); to use a narrower key as it is, set MEILI_API_KEY instead`
      : `MEILI_API_KEY: the engine at ${url} refused it (${error.message}); it needs to create and configure this service's indexes and write to them`,
  );
}

/**
 * One factory per configured source, each making a client of its vendor's API held to SOURCE_RPS and
 * SOURCE_CONCURRENCY. `http` overrides the request options (the API asks vendors with less patience).
 */
export function sourceFactories<Name extends string>(
  config: Config<Name>,
  overrides: { http?: Partial<SourceHttpOptions> } = {},
): Array<{ name: Name; create(): SessionSource }> {
  const limits = { rps: config.sourceRps, concurrency: config.sourceConcurrency, http: overrides.http };
  return config.sources.map((source) => ({ name: source.name, create: () => source.create(limits) }));
}

/** What a process that writes sessions (serve, sync, import) writes with: REDACT's rules, RETENTION_DAYS, and its hooks. */
export function writerDeps(config: Config, engine: { client: EngineClient; names: IndexNames }, log: Logger, hooks?: IngestHooks): IngestDeps {
  return ingestDeps({ engine: engine.client, names: engine.names, log, hooks, redactor: new Redactor(config.redaction), retentionDays: config.retentionDays });
}

/**
 * This process's leases (engine/lease.ts), under which it syncs a source or runs the trackers, so
 * that processes sharing the engine take turns. On the engine's own client, which does not wait for
 * an engine that went away: a renewal that cannot be confirmed in time is a failed renewal.
 */
export function processLeases(engine: EngineHandle, config: Config, process: 'serve' | 'sync' | 'import', log: Logger): Leases {
  return new Leases(engine.client, engine.names.state, { process, ttlMs: config.leaseSeconds * 1000, log });
}

/**
 * The trackers of this deployment as a process that writes sessions runs them (trackers/service.ts):
 * on the engine client given (a sync's patient one waits out an engine restart), sending webhooks
 * anywhere but the engine, evaluating and sending only while this process holds the `trackers` lease.
 */
export function trackerService(client: EngineClient, names: IndexNames, config: Config, log: Logger, leases: Leases, observer?: TrackerObserver): TrackerService {
  return new TrackerService(
    { engine: client, names, log },
    { retryBaseMs: config.webhookRetrySeconds * 1000, engineUrls: trackerEngineUrls(client, config), observer, lease: leases.lease(TRACKERS_LEASE) },
  );
}

/** The lease on tracker work; source names (the other leases) are vendors', never this. */
export const TRACKERS_LEASE = 'trackers';

/** Where tracker webhooks may never go: the engine, by the address this process uses and the one browsers use. */
export function trackerEngineUrls(client: EngineClient, config: Config): string[] {
  return engineUrlsOf(client.url, config.engine.publicUrl);
}
