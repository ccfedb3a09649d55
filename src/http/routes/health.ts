import type { Hono } from 'hono';
import { indexesExist } from '../../engine/indexes.js';
import type { AppDeps, AppEnv } from '../app.js';

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
