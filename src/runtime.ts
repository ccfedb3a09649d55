import type { Config } from './config.js';
import { EngineClient } from './engine/client.js';
import { startEmbeddedEngine } from './engine/embedded.js';
import { ensureIndexes, indexNames, type IndexNames } from './engine/indexes.js';
import { provisionEngineKeys, type EngineKey } from './engine/keys.js';
import { ConfigError, EngineError, EngineUnavailableError } from './errors.js';
import type { SourceFactory } from './ingest/sync-controller.js';
import { createAgentsSource } from './sources/agents/client.js';
import { createNapsterSource } from './sources/napster/client.js';

/** A sync waits this long for an engine that went away (restart, upgrade) before it gives up. */
export const SYNC_ENGINE_PATIENCE_MS = 5 * 60_000;

/**
 * The engine a command works against: the configured one, or an embedded one it may have started.
 * `searchKey` signs tenant tokens; it is absent when the service was given a key other than the
 * master key, which it uses as it is.
 */
export type EngineHandle = { client: EngineClient; names: IndexNames; searchKey?: EngineKey; close(): Promise<void> };

export async function openEngine(config: Config, options: { waitForEngineMs?: number } = {}): Promise<EngineHandle> {
  let url: string;
  let apiKey: string | undefined;
  let isMaster: boolean;
  let stopEmbedded = async () => {};
  if (config.engine.url) {
    url = config.engine.url;
    apiKey = config.engine.apiKey;
    isMaster = config.engine.apiKeyIsMaster;
  } else {
    const embedded = await startEmbeddedEngine({ dataDir: config.dataDir, bin: config.engine.bin });
    url = embedded.url;
    apiKey = embedded.masterKey;
    isMaster = true;
    stopEmbedded = embedded.stop;
  }
  let client = new EngineClient({ url, apiKey });
  try {
    const deadline = Date.now() + (options.waitForEngineMs ?? 30_000);
    while (!(await client.isHealthy())) {
      if (Date.now() > deadline) throw new EngineUnavailableError(`Meilisearch at ${url} is not answering /health`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const names = indexNames(config.indexPrefix);
    await ensureIndexes(client, names);
    let searchKey: EngineKey | undefined;
    if (isMaster) {
      // The master key is needed only up to here: from now on a leak of this process's engine key
      // exposes its own indexes, not the engine.
      const keys = await provisionEngineKeys(client, config.indexPrefix);
      searchKey = keys.search;
      const master = client;
      client = new EngineClient({ url, apiKey: keys.indexing.key });
      await master.close();
    }
    return {
      client,
      names,
      searchKey,
      close: async () => {
        await client.close();
        await stopEmbedded();
      },
    };
  } catch (error) {
    await client.close();
    await stopEmbedded();
    throw refusedKeyAsConfigError(error, url, isMaster);
  }
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

export function sourceFactories(config: Config): SourceFactory[] {
  const factories: SourceFactory[] = [];
  const { napster, agents } = config;
  if (napster) {
    factories.push({
      name: 'napster',
      create: () => createNapsterSource({ ...napster, rps: config.sourceRps, concurrency: config.sourceConcurrency }),
    });
  }
  if (agents) {
    factories.push({
      name: 'agents',
      create: () => createAgentsSource({ ...agents, rps: config.sourceRps, concurrency: config.sourceConcurrency }),
    });
  }
  return factories;
}
