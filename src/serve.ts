import { serve as serveHttp } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { isLoopbackHost, loadApiKeys } from './http/api-keys.js';
import { createApp } from './http/app.js';
import { SyncController } from './ingest/sync-controller.js';
import type { Logger } from './logger.js';
import { openEngine, sourceFactories, SYNC_ENGINE_PATIENCE_MS } from './runtime.js';

export type RunningServer = { url: string; sync: SyncController; stop(): Promise<void> };

/** Shutdown must finish within this, or the process is ended anyway (orchestrators kill at ~10 s). */
const SHUTDOWN_GRACE_MS = 8_000;

/** `serve`: the API plus periodic sync. Refuses an open API on a non-loopback address. */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const keys = config.apiKeysFile ? loadApiKeys(config.apiKeysFile) : undefined;
  if (!keys && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `HOST=${config.host} is not a loopback address and API_KEYS_FILE is unset: refusing to serve transcripts to the network without keys`,
    );
  }
  const engine = await openEngine(config);
  const sync = new SyncController({
    engine: engine.client.patient(SYNC_ENGINE_PATIENCE_MS),
    names: engine.names,
    log,
    sources: sourceFactories(config),
    concurrency: config.sourceConcurrency,
  });
  const app = createApp({ engine: engine.client, names: engine.names, log, keys, sync, searchKey: engine.searchKey });
  const server = await new Promise<ReturnType<typeof serveHttp>>((resolve, reject) => {
    const instance = serveHttp({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(instance));
    instance.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info('listening', { url, auth: keys ? 'api keys' : 'open (loopback only)', sources: sync.sourceNames });
  sync.startPeriodic(config.syncIntervalSeconds);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.race([Promise.all([closed, sync.stop()]), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref())]);
      await engine.close();
    })());
  return { url, sync, stop };
}
