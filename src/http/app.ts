import { Hono } from 'hono';
import { Metrics } from '../metrics.js';
import { authenticate } from './auth.js';
import { limitRequestBodies } from './body-limit.js';
import { guardAgainstBrowserPages } from './browser-guard.js';
import { ingestDeps } from '../ingest/deps.js';
import type { AppDeps, AppEnv, RouteDeps } from './env.js';
import { answerErrors, errorResponse } from './error-response.js';
import { observeRequests } from './observe.js';
import { API_ROUTES } from './routes/index.js';
import { engineUrls } from './routes/trackers.js';
import { DEFAULT_RETRY_SECONDS } from '../trackers/deliver.js';
import { TrackerService } from '../trackers/service.js';

/**
 * The API: the middleware every request passes, in this order (request id and log, browser guard,
 * keys for the /v1 tree, body limit), then the declared routes (routes/index.ts), each with its own
 * guard and parameter parsing (define-route.ts), and one place that turns errors into answers.
 */
/** One list for every app of the process, so the routes that describe the API build their document once. */
const DECLARATIONS = API_ROUTES.map((route) => route.declaration);

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const metrics = deps.metrics ?? new Metrics();
  const trackers = () => deps.trackers ?? new TrackerService(deps, { retryBaseMs: DEFAULT_RETRY_SECONDS * 1000, engineUrls: engineUrls(deps), observer: metrics });
  const routeDeps: RouteDeps = { ...deps, metrics, ingest: deps.ingest ?? ingestDeps({ ...deps, hooks: trackers().hooks() }) };

  app.use('*', observeRequests(deps.log, metrics));
  app.use('*', guardAgainstBrowserPages({ open: !deps.keys }));
  // The whole tree, unknown paths included, answers 401 without a valid key before anything is read.
  app.use('/v1/*', authenticate(deps.keys));
  app.use('/v1/*', limitRequestBodies);

  for (const route of API_ROUTES) route.mount(app, routeDeps, DECLARATIONS);

  app.notFound((c) => errorResponse(c, 'not_found', `No route ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`));
  app.onError(answerErrors(deps.log));
  return app;
}
