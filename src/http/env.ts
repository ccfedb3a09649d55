import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import type { TokenSigners } from '../engine/token-signers.js';
import type { IngestDeps } from '../ingest/deps.js';
import type { SyncController } from '../ingest/sync-controller.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { SessionSource } from '../sources/source.js';
import type { TrackerService } from '../trackers/service.js';
import type { ApiKeys, Caller } from './api-keys.js';

/** What `createApp` is given. */
export type AppDeps = {
  engine: EngineClient;
  names: IndexNames;
  log: Logger;
  /** Undefined: open API (the server then only binds loopback). */
  keys?: ApiKeys;
  sync?: SyncController;
  /** Sign tenant tokens for POST /v1/search-token, by API key id; undefined when the engine key is not a master key. */
  tokenSigners?: TokenSigners;
  /** MEILI_PUBLIC_URL: where browsers reach the engine, returned with tokens; the engine's own URL never is. */
  publicEngineUrl?: string;
  /** Unix milliseconds; tests pass their own to mint tokens at a chosen time. Default Date.now. */
  now?: () => number;
  /** Shared with the sync controller by `serve`; default: a registry of this app's own. */
  metrics?: Metrics;
  /** The configured vendor APIs, for what the API fetches from them on request (recording links). */
  vendors?: Partial<Record<string, SessionSource>>;
  /** What pushes and forgets write with (hooks included); default: built from engine, names and log, with the trackers' hooks. */
  ingest?: IngestDeps;
  /** Trackers, whose hooks the default `ingest` takes (pushes are evaluated); default: a service of this app's own, whose loop nobody starts. */
  trackers?: TrackerService;
};

/**
 * What route handlers are given: the app's dependencies, with its own metrics registry when none was
 * passed, and the ingest dependencies settled.
 */
export type RouteDeps = AppDeps & { metrics: Metrics; ingest: IngestDeps };

/** Per request: its id (observe.ts) and, on routes that need a key, who is calling (auth.ts). */
export type AppEnv = { Variables: { requestId: string; caller: Caller } };
