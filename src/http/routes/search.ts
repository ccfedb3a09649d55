import type { Hono } from 'hono';
import { facetValues } from '../../search/facet-values.js';
import { parseSearchRequest } from '../../search/params.js';
import { searchSessions } from '../../search/sessions.js';
import { searchTurns } from '../../search/turns.js';
import { queryArrays, type AppDeps, type AppEnv } from '../app.js';

export function registerSearchRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/v1/search/turns', async (c) => {
    const request = parseSearchRequest(queryArrays(c), 'turns');
    return c.json(await searchTurns(deps, request, c.get('caller')));
  });

  app.get('/v1/search/sessions', async (c) => {
    const request = parseSearchRequest(queryArrays(c), 'sessions');
    return c.json(await searchSessions(deps, request, c.get('caller')));
  });

  app.get('/v1/facets/:name', async (c) => {
    return c.json(await facetValues(deps, c.req.param('name'), queryArrays(c), c.get('caller')));
  });
}
