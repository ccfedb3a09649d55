import type { Hono } from 'hono';
import { facetValues, SearchableFacet } from '../../search/facet-values.js';
import { FacetValuesQuery, parseSearchRequest, SessionsQuery, TurnsQuery } from '../../search/params.js';
import { searchSessions } from '../../search/sessions.js';
import { searchTurns } from '../../search/turns.js';
import { queryArrays } from '../query.js';
import type { AppDeps, AppEnv } from '../env.js';
import { withHtmlHighlights, withHtmlSnippets } from '../highlights.js';
import type { Operation } from '../openapi/operation.js';

export const searchOperations: Operation[] = [
  {
    method: 'get', path: '/v1/search/turns', tag: 'Search', access: 'search', query: TurnsQuery,
    summary: 'Search utterances: one hit per turn, with highlight and optional context',
    success: { status: 200, description: '`{hits, totalHits, page, hitsPerPage, totalPages, facets, processingTimeMs}`; facet counts count turns' },
  },
  {
    method: 'get', path: '/v1/search/sessions', tag: 'Search', access: 'search', query: SessionsQuery,
    summary: 'Search sessions: one hit per session, with snippet, and stats over all matching sessions',
    success: { status: 200, description: '`{hits, totalHits, page, hitsPerPage, totalPages, facets, stats, processingTimeMs}`; facet counts count sessions' },
  },
  {
    method: 'get', path: '/v1/facets/:name', tag: 'Search', access: 'search', query: FacetValuesQuery, params: { name: SearchableFacet },
    summary: 'Facet values starting with a prefix, counted in sessions (autocomplete)',
    success: { status: 200, description: '`{"values":[{"value","count"}]}`' },
  },
];

export function registerSearchRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/v1/search/turns', async (c) => {
    const request = parseSearchRequest(queryArrays(c), 'turns');
    return c.json(withHtmlHighlights(await searchTurns(deps, request, c.get('caller'))));
  });

  app.get('/v1/search/sessions', async (c) => {
    const request = parseSearchRequest(queryArrays(c), 'sessions');
    return c.json(withHtmlSnippets(await searchSessions(deps, request, c.get('caller'))));
  });

  app.get('/v1/facets/:name', async (c) => {
    return c.json(await facetValues(deps, c.req.param('name'), queryArrays(c), c.get('caller')));
  });
}
