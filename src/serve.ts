import { serve as serveHttp } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { OPEN_API_SIGNER } from './engine/token-signers.js';
import { AppError, ConfigError, PortUnavailableError, errorMessage } from './errors.js';
import { isLoopbackHost, loadApiKeys } from './http/api-keys.js';
import { createApp } from './http/app.js';
import { SyncController } from './ingest/sync-controller.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { openEngine, processLeases, sourceFactories, SYNC_ENGINE_PATIENCE_MS, trackerService, writerDeps } from './runtime.js';

export type RunningServer = {
  url: string;
  sync: SyncController;
  /** Sessions and turns as the engine counts them: what is searchable, whatever the last pass did. */
  indexed(): Promise<{ sessions: number; turns: number }>;
  stop(): Promise<void>;
};

/**
 * Orchestrators kill a container about 10 s after SIGTERM. In-flight requests and a sync's last
 * batch get this long; stopping an embedded engine (SIGKILL after 3 s) has to fit in what is left.
 */
const DRAIN_MS = 6_000;

/** `serve`: the API plus periodic sync. Refuses an open API on a non-loopback address. */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const keys = config.apiKeysFile ? loadApiKeys(config.apiKeysFile) : undefined;
  if (!keys && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `HOST=${config.host} is not a loopback address and API_KEYS_FILE is unset: refusing to serve transcripts to the network without keys`,
    );
  }
  const metrics = new Metrics({ processMetrics: true });
  const engine = await openEngine(config, {
    tokenSigners: keys ? keys.keyIds : [OPEN_API_SIGNER],
    // The API outlives an engine crash: the engine comes back on its address and /ready recovers.
    supervise: { log, onRestart: () => metrics.engineRestarted() },
  });
  metrics.observeEngine(engine.client);
  // Background work waits out an engine restart; the API's own requests do not (they answer 503).
  const patient = engine.client.patient(SYNC_ENGINE_PATIENCE_MS);
  // Replicas of the API may share the engine: each source syncs, and the trackers run, in one of them at a time.
  const leases = processLeases(engine, config, 'serve', log);
  const trackers = trackerService(patient, engine.names, config, log, leases, metrics);
  const ingest = writerDeps(config, { client: patient, names: engine.names }, log, trackers.hooks());
  const sync = new SyncController({
    ...ingest,
    sources: sourceFactories(config),
    concurrency: config.sourceConcurrency,
    metrics,
    leases,
  });
  for (const status of (await sync.status()).sources) {
    if (status.lastSuccessAt) metrics.recordLastSuccess(status.source, status.lastSuccessAt);
  }
  // On request, the API fetches from vendors what cannot be stored (fresh recording links): answered
  // quickly or not at all, since a person is waiting, unlike a sync that may retry for minutes.
  const vendors = Object.fromEntries(
    sourceFactories(config, { http: { maxRetries: 1, timeoutMs: 10_000 } }).map((factory) => [factory.name, factory.create()]),
  );
  const app = createApp({
    engine: engine.client,
    names: engine.names,
    log,
    keys,
    sync,
    tokenSigners: engine.tokenSigners,
    publicEngineUrl: config.engine.publicUrl,
    metrics,
    vendors,
    trackers,
    ingest,
  });
  let server: ReturnType<typeof serveHttp>;
  try {
    server = await new Promise<ReturnType<typeof serveHttp>>((resolve, reject) => {
      const instance = serveHttp({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(instance));
      instance.once('error', reject);
    });
  } catch (error) {
    // Nothing is served: what was started for serving (an embedded engine above all) stops with it.
    await Promise.all(Object.values(vendors).map((vendor) => vendor.close()));
    await engine.close();
    throw listenError(error, config);
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info('listening', { url, auth: keys ? 'api keys' : 'open (loopback only)', sources: sync.sourceNames });
  sync.startPeriodic(config.syncIntervalSeconds);
  trackers.start();

  // Stop accepting and let requests in flight finish, while a running sync writes what it fetched and
  // checkpoints; then the engine goes, whether or not both made it in time.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const drained = Promise.all([stopListening(server as Server), sync.stop(), trackers.stop()]);
      const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((resolve) => setTimeout(resolve, DRAIN_MS, true).unref())]);
      if (timedOut) log.warn('stopping without waiting further for requests or sync in flight', { waitedMs: DRAIN_MS });
      (server as Server).closeAllConnections();
      await Promise.all(Object.values(vendors).map((vendor) => vendor.close()));
      await engine.close();
      log.info('stopped');
    })());
  const indexed = async () => ({
    sessions: await engine.client.documentCount(engine.names.sessions),
    turns: await engine.client.documentCount(engine.names.turns),
  });
  return { url, sync, indexed, stop };
}

/** Why the API cannot listen, in one line naming the variable to change. */
function listenError(error: unknown, { host, port }: Pick<Config, 'host' | 'port'>): AppError {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new PortUnavailableError(`PORT ${port} is in use on ${host}: another process listens at ${address}; stop it or set PORT to a free port`, { cause: error });
    case 'EACCES':
      return new PortUnavailableError(`PORT ${port} on ${host} is not this user's to listen on (ports below 1024 need privileges); set PORT to a free port above 1023`, { cause: error });
    case 'EADDRNOTAVAIL':
      return new ConfigError(`HOST=${host} is not an address of this machine, so the API cannot listen at ${address}`);
    default:
      return new PortUnavailableError(`Cannot listen at ${address} (HOST, PORT): ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * Resolves once requests in flight are answered. `close()` drops idle keep-alive connections only
 * once; a connection busy at that moment would otherwise stay open until its keep-alive timeout.
 */
function stopListening(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  return closed.finally(() => clearInterval(sweep));
}
