import type { Config } from './config.js';
import { EngineClient } from './engine/client.js';
import { startEmbeddedEngine } from './engine/embedded.js';
import { ensureIndexes, indexNames, type IndexNames } from './engine/indexes.js';
import { EngineUnavailableError } from './errors.js';
import type { SourceFactory } from './ingest/sync-controller.js';
import { createAgentsSource } from './sources/agents/client.js';
import { createNapsterSource } from './sources/napster/client.js';

/** The engine a command works against: the configured one, or an embedded one it may have started. */
export type EngineHandle = { client: EngineClient; names: IndexNames; close(): Promise<void> };

export async function openEngine(config: Config, options: { waitForEngineMs?: number } = {}): Promise<EngineHandle> {
  let url: string;
  let apiKey: string | undefined;
  let stopEmbedded = async () => {};
  if (config.engine.url) {
    url = config.engine.url;
    apiKey = config.engine.apiKey;
  } else {
    const embedded = await startEmbeddedEngine({ dataDir: config.dataDir, bin: config.engine.bin });
    url = embedded.url;
    apiKey = embedded.masterKey;
    stopEmbedded = embedded.stop;
  }
  const client = new EngineClient({ url, apiKey });
  try {
    const deadline = Date.now() + (options.waitForEngineMs ?? 30_000);
    while (!(await client.isHealthy())) {
      if (Date.now() > deadline) throw new EngineUnavailableError(`Meilisearch at ${url} is not answering /health`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const names = indexNames(config.indexPrefix);
    await ensureIndexes(client, names);
    return {
      client,
      names,
      close: async () => {
        await client.close();
        await stopEmbedded();
      },
    };
  } catch (error) {
    await client.close();
    await stopEmbedded();
    throw error;
  }
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
