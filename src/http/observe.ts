import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { AppEnv } from './env.js';

/** The label of requests no route matched: one value, however many paths are probed. */
export const UNMATCHED_ROUTE = 'unmatched';

/** A caller's own request id is kept when it is a plain token; anything else is replaced. */
const CALLER_REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * The one middleware every request passes: a request id (the caller's `x-request-id` or a new one,
 * echoed in the response and in error bodies), then one access-log line and one metrics observation.
 * Only the route pattern is recorded, never the path, query or headers: those carry search text,
 * session and client ids, and API keys, none of which belong in a log store or in metric labels.
 * One middleware rather than two, because each layer costs every search its share of latency.
 */
export function observeRequests(log: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header('x-request-id');
    const requestId = given && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routePattern(c);
    const status = c.res.status;
    metrics.observeRequest({ method: c.req.method, route, status, seconds });
    log.info('request', { requestId, method: c.req.method, route, status, durationMs: Math.round(seconds * 10_000) / 10 });
  };
}

/** The pattern of the handler that answered (`/v1/sessions/:id`); middleware (`app.use`) is registered for every method. */
function routePattern(c: Context): string {
  const handler = matchedRoutes(c).findLast((route) => route.method !== 'ALL');
  return handler?.path ?? UNMATCHED_ROUTE;
}
