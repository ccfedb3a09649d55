import { defineRoute } from '../define-route.js';
import type { ApiRoute } from '../route.js';

// Sync counts and last-run times span every companion, like GET /v1/sync, so they need the same key.
export const metricsRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'get', path: '/metrics', tag: 'Operations',
      access: { level: 'unscoped-admin', reason: 'Metrics count every companion, tenant and client' },
      summary: 'Prometheus metrics: requests by route and status, sync counters per source, engine task failures',
      description: 'With API keys configured, scrape with an admin key without a scope (`authorization: Bearer KEY`); without keys the API, and so this, is reachable from loopback only.',
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
    },
    ({ metrics }) => async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  ),
];
