import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { AppError, EngineError, EngineUnavailableError, statusOf, type ErrorCode } from '../errors.js';
import type { EngineClient } from '../engine/client.js';
import type { TokenSigners } from '../engine/token-signers.js';
import type { IndexNames } from '../engine/indexes.js';
import type { Logger } from '../logger.js';
import { Metrics } from '../metrics.js';
import type { RawQuery } from '../query-params.js';
import type { ApiKeys, Caller } from './api-keys.js';
import type { SyncController } from '../ingest/sync-controller.js';
import { isScoped } from '../model.js';
import type { SessionSource } from '../sources/source.js';
import { ingestDeps, type IngestDeps } from '../ingest/deps.js';
import { guardAgainstBrowserPages } from './browser-guard.js';
import { requireJsonBody } from './json-body.js';
import { observeRequests } from './observe.js';
import { clientOperations, registerClientRoutes } from './routes/clients.js';
import { docsOperations, registerDocsRoutes } from './routes/docs.js';
import { healthOperations, registerHealthRoutes } from './routes/health.js';
import { metricsOperations, registerMetricsRoutes } from './routes/metrics.js';
import { registerSearchTokenRoutes, searchTokenOperations } from './routes/search-token.js';
import { registerSearchRoutes, searchOperations } from './routes/search.js';
import { recordingOperations, registerRecordingRoutes } from './routes/recording.js';
import { registerSessionRoutes, sessionOperations } from './routes/sessions.js';
import { registerSyncRoutes, syncOperations } from './routes/sync.js';
import { registerUiRoutes, uiOperations } from './routes/ui.js';

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
  /** What pushes and forgets write with (hooks included); default: built from engine, names and log. */
  ingest?: IngestDeps;
};

/** What route handlers receive: the app's dependencies, the ingest ones settled. */
export type RouteDeps = AppDeps & { ingest: IngestDeps };

export type AppEnv = { Variables: { requestId: string; caller: Caller } };

/** Bodies above this are refused with 413 before they are read whole. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

const OPEN_CALLER: Caller = { name: 'open', role: 'admin' };

/** Everything the document at /openapi.json describes; a test checks it against the registered routes. */
const OPERATIONS = [
  ...searchOperations,
  ...searchTokenOperations,
  ...sessionOperations,
  ...recordingOperations,
  ...clientOperations,
  ...syncOperations,
  ...healthOperations,
  ...metricsOperations,
  ...docsOperations,
  ...uiOperations,
];

export function createApp(appDeps: AppDeps): Hono<AppEnv> {
  const deps: RouteDeps = { ...appDeps, ingest: appDeps.ingest ?? ingestDeps(appDeps) };
  const app = new Hono<AppEnv>();
  const metrics = deps.metrics ?? new Metrics();

  app.use('*', observeRequests(deps.log, metrics));
  app.use('*', guardAgainstBrowserPages({ open: !deps.keys }));

  const authenticate = authenticateWith(deps.keys);
  app.use('/v1/*', authenticate);
  app.use('/metrics', authenticate);

  // Only where a body may come: the check reads `raw.body`, which makes the Node adapter build a full
  // fetch Request for every GET too (measured at a tenth of a millisecond per search).
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError('payload_too_large', `Request body larger than ${MAX_BODY_BYTES} bytes`);
    },
  });
  app.use('/v1/*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  for (const operation of OPERATIONS) {
    if (operation.body) app.on(operation.method.toUpperCase(), operation.path, requireJsonBody);
  }

  registerUiRoutes(app);
  registerHealthRoutes(app, deps);
  registerSearchRoutes(app, deps);
  registerSessionRoutes(app, deps);
  registerRecordingRoutes(app, deps);
  registerClientRoutes(app, deps);
  registerSyncRoutes(app, deps);
  registerSearchTokenRoutes(app, deps);
  registerMetricsRoutes(app, metrics);
  registerDocsRoutes(app, OPERATIONS);

  app.notFound((c) => errorResponse(c, 'not_found', `No route ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`));

  app.onError((error, c) => {
    if (error instanceof EngineError) {
      // The engine's message can quote the filter, scope included: logged for the operator, not shown.
      deps.log.error('engine error', { requestId: c.get('requestId'), engineCode: error.engineCode, error: error.message });
      // Documents the engine refuses come from the caller's push: their fault, said as a 4xx.
      if (error.httpStatus === 413 || error.engineCode === 'payload_too_large') {
        return errorResponse(c, 'payload_too_large', 'The search engine refused these sessions as too large; push fewer at a time');
      }
      if (error.engineCode?.startsWith('invalid_document')) return errorResponse(c, 'bad_request', 'The search engine refused these sessions');
      return errorResponse(c, error.code, 'The search engine could not run this request');
    }
    if (error instanceof EngineUnavailableError) {
      // The message names the engine's internal address: the operator's to know, not the caller's.
      deps.log.error('engine unavailable', { requestId: c.get('requestId'), error: error.message });
      return errorResponse(c, error.code, 'The search engine is unavailable; try again later');
    }
    if (error instanceof AppError) return errorResponse(c, error.code, error.message);
    if (error instanceof HTTPException) {
      const code: ErrorCode = error.status === 413 ? 'payload_too_large' : error.status < 500 ? 'bad_request' : 'internal';
      return errorResponse(c, code, error.message || 'Bad request');
    }
    // A bug, not the caller's fault: log it, reveal nothing.
    deps.log.error('unhandled error', { requestId: c.get('requestId'), error: error instanceof Error ? error.stack : String(error) });
    return errorResponse(c, 'internal', 'Internal error');
  });

  return app;
}

/** Sets the caller from the key presented; without configured keys every caller is an unscoped admin. */
function authenticateWith(keys: ApiKeys | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!keys) {
      c.set('caller', OPEN_CALLER);
      return next();
    }
    const presented = bearer(c.req.header('authorization')) ?? c.req.header('x-api-key');
    const caller = presented ? keys.find(presented) : undefined;
    if (!caller) throw new AppError('unauthorized', presented ? 'Invalid API key' : 'Missing API key: send Authorization: Bearer KEY or X-Api-Key: KEY');
    c.set('caller', caller);
    return next();
  };
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

export function errorResponse(c: Context, code: ErrorCode, message: string) {
  const status = statusOf(code) as 400;
  return c.json({ error: { code, message, requestId: c.get('requestId') ?? null } }, status);
}

/** Routes that change data call this first. */
export function requireAdmin(caller: Caller): void {
  if (caller.role !== 'admin') throw new AppError('forbidden', 'This key may search but not change data (role admin needed)');
}

/**
 * Routes whose effect or answer spans every companion, tenant and client (sync status and passes,
 * metrics, the forgotten-clients list) call this, saying what they are: a key with a scope may
 * neither see nor change them, and a search key is told so rather than that it "may not change data".
 */
export function requireUnscopedAdmin(caller: Caller, reason: string): void {
  if (caller.role !== 'admin' || isScoped(caller)) {
    throw new AppError('forbidden', `${reason}: this needs an admin key without companions, tenants or externalClients`);
  }
}

/** All query parameters as arrays, so repeated ones are seen. */
export function queryArrays(c: Context): RawQuery {
  return c.req.queries() as RawQuery;
}
