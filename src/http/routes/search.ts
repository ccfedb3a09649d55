import { z } from 'zod';
import { facetValues, SEARCHABLE_FACETS } from '../../search/facet-values.js';
import { FacetValuesQuery, facetValuesRequestOf, searchRequestOf, SessionsQuery, TurnsQuery } from '../../search/params.js';
import { searchSessions } from '../../search/sessions.js';
import { searchTurns } from '../../search/turns.js';
import { defineRoute } from '../define-route.js';
import { withHtmlHighlights, withHtmlSnippets } from '../highlights.js';
import type { ApiRoute } from '../route.js';
import { FacetValues, SessionSearchPage, TurnSearchPage } from '../schemas/search.js';

const FacetName = z
  .enum(SEARCHABLE_FACETS, { error: (issue) => `Unknown facet '${String(issue.input).slice(0, 40)}'; expected one of ${SEARCHABLE_FACETS.join(', ')}` })
  .describe('Facet whose values to list');

export const searchRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'get', path: '/v1/search/turns', tag: 'Search', access: 'search', query: TurnsQuery,
      summary: 'Search utterances: one hit per turn, with highlight and optional context',
      responses: { 200: { description: 'A page of turn hits; facet counts count turns', schema: TurnSearchPage } },
    },
    (deps) => async (c, { caller, query }) => c.json(withHtmlHighlights(await searchTurns(deps, searchRequestOf(query), caller)), 200),
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/search/sessions', tag: 'Search', access: 'search', query: SessionsQuery,
      summary: 'Search sessions: one hit per session, with snippet, and stats over all matching sessions',
      responses: { 200: { description: 'A page of session hits, and `stats` over every match; facet counts count sessions', schema: SessionSearchPage } },
    },
    (deps) => async (c, { caller, query }) => c.json(withHtmlSnippets(await searchSessions(deps, searchRequestOf(query), caller)), 200),
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/facets/:name', tag: 'Search', access: 'search', query: FacetValuesQuery, params: { name: FacetName },
      summary: 'Facet values starting with a prefix, counted in sessions (autocomplete)',
      responses: { 200: { description: 'The values, most frequent first', schema: FacetValues } },
    },
    (deps) => async (c, { caller, params, query }) => c.json(await facetValues(deps, params.name, facetValuesRequestOf(query), caller), 200),
  ),
];
