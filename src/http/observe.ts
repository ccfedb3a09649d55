import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

/** The label of requests no route matched: one value, however many paths are probed. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * One access-log line and one metrics observation per request. Only the route pattern is recorded,
 * never the path, query or headers: those carry search text, session and client ids, and API keys,
 * none of which belong in a log store or in metric labels.
 */
export function observeRequests(log: Logger, metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routePattern(c);
    const status = c.res.status;
    metrics.observeRequest({ method: c.req.method, route, status, seconds });
    log.info('request', { requestId: c.get('requestId'), method: c.req.method, route, status, durationMs: Math.round(seconds * 10_000) / 10 });
  };
}

/** The pattern of the handler that answered (`/v1/sessions/:id`); middleware (`app.use`) is registered for every method. */
function routePattern(c: Context): string {
  const handler = matchedRoutes(c).findLast((route) => route.method !== 'ALL');
  return handler?.path ?? UNMATCHED_ROUTE;
}
