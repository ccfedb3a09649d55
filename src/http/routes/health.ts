import type { Hono } from 'hono';
import { indexesExist } from '../../engine/indexes.js';
import type { AppDeps, AppEnv } from '../env.js';
import type { Operation } from '../openapi/operation.js';

export const healthOperations: Operation[] = [
  { method: 'get', path: '/health', tag: 'Operations', access: 'open', summary: 'Liveness: 200 while the process runs', success: { status: 200, description: '`{"status":"ok"}`' } },
  {
    method: 'get', path: '/ready', tag: 'Operations', access: 'open',
    summary: 'Readiness: 200 when the engine answers and the indexes exist, else 503',
    success: { status: 200, description: '`{"status":"ready","engine":"available","indexes":true}`' },
  },
];

export function registerHealthRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  // Liveness: the process answers. Deliberately independent of the engine, so an orchestrator does
  // not restart the service for an engine outage it cannot fix.
  app.get('/health', (c) => c.json({ status: 'ok' }));

  // Readiness: 503 while the engine is down or the indexes are missing, so traffic waits.
  app.get('/ready', async (c) => {
    const engineUp = await deps.engine.isHealthy();
    const indexes = engineUp && (await indexesExist(deps.engine, deps.names).catch(() => false));
    const ready = engineUp && indexes;
    return c.json({ status: ready ? 'ready' : 'unavailable', engine: engineUp ? 'available' : 'unavailable', indexes }, ready ? 200 : 503);
  });
}
