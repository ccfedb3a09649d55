import type { Hono } from 'hono';
import type { Metrics } from '../../metrics.js';
import { requireUnscopedAdmin } from '../auth.js';
import type { AppEnv } from '../env.js';
import type { Operation } from '../openapi/operation.js';

export const metricsOperations: Operation[] = [
  {
    method: 'get', path: '/metrics', tag: 'Operations', access: 'unscoped-admin',
    summary: 'Prometheus metrics: requests by route and status, sync counters per source, engine task failures',
    description: 'With API keys configured, scrape with an admin key without a scope (`authorization: Bearer KEY`); without keys the API, and so this, is reachable from loopback only.',
    success: { status: 200, description: 'Prometheus text format', contentType: 'text/plain' },
  },
];

// Sync counts and last-run times span every companion, like GET /v1/sync, so they need the same key.
export function registerMetricsRoutes(app: Hono<AppEnv>, metrics: Metrics): void {
  app.get('/metrics', async (c) => {
    requireUnscopedAdmin(c.get('caller'), 'Metrics count every companion, tenant and client');
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });
}
