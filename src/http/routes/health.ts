import { indexesExist } from '../../engine/indexes.js';
import { defineRoute } from '../define-route.js';
import type { ApiRoute } from '../route.js';
import { Health, Readiness } from '../schemas/operations.js';

export const healthRoutes: ApiRoute[] = [
  // Liveness: the process answers. Deliberately independent of the engine, so an orchestrator does
  // not restart the service for an engine outage it cannot fix.
  defineRoute(
    {
      method: 'get', path: '/health', tag: 'Operations', access: 'open', summary: 'Liveness: 200 while the process runs',
      responses: { 200: { description: 'Alive', schema: Health } },
    },
    () => (c) => c.json({ status: 'ok' as const }, 200),
  ),
  // Readiness: 503 while the engine is down or the indexes are missing, so traffic waits. Still 200
  // during a first sync (what is indexed is searchable); `indexing` tells a page to say so.
  defineRoute(
    {
      method: 'get', path: '/ready', tag: 'Operations', access: 'open',
      summary: 'Readiness: 200 when the engine answers and the indexes exist, else 503',
      responses: { 200: { description: 'Ready', schema: Readiness }, 503: { description: 'Not ready, and which part is missing', schema: Readiness } },
    },
    (deps) => async (c) => {
      const engineUp = await deps.engine.isHealthy();
      const indexes = engineUp && (await indexesExist(deps.engine, deps.names).catch(() => false));
      const engine = engineUp ? ('available' as const) : ('unavailable' as const);
      const indexing = (await deps.sync?.indexing().catch(() => false)) ?? false;
      return engineUp && indexes
        ? c.json({ status: 'ready' as const, engine, indexes, indexing }, 200)
        : c.json({ status: 'unavailable' as const, engine, indexes, indexing }, 503);
    },
  ),
];
