import { Hono } from 'hono';
import { Metrics } from '../metrics.js';
import { authenticate } from './auth.js';
import { limitRequestBodies } from './body-limit.js';
import { guardAgainstBrowserPages } from './browser-guard.js';
import type { AppDeps, AppEnv } from './env.js';
import { answerErrors, errorResponse } from './error-response.js';
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

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const metrics = deps.metrics ?? new Metrics();

  app.use('*', observeRequests(deps.log, metrics));
  app.use('*', guardAgainstBrowserPages({ open: !deps.keys }));

  const authenticated = authenticate(deps.keys);
  app.use('/v1/*', authenticated);
  app.use('/metrics', authenticated);

  app.use('/v1/*', limitRequestBodies);
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

  app.onError(answerErrors(deps.log));

  return app;
}
