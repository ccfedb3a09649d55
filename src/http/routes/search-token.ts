import type { Hono } from 'hono';
import { z } from 'zod';
import { signTenantToken, type SearchRules } from '../../engine/tenant-token.js';
import { AppError } from '../../errors.js';
import { one, parseQuery, wholeNumber } from '../../query-params.js';
import { anyOf } from '../../engine/filter.js';
import { queryArrays, type AppDeps, type AppEnv } from '../app.js';
import type { Operation } from '../openapi/operation.js';

/** Token lifetime: default one hour, at most a day (`expiresInSeconds`). */
const DEFAULT_TOKEN_SECONDS = 3_600;
const MIN_TOKEN_SECONDS = 60;
const MAX_TOKEN_SECONDS = 86_400;

export const SearchTokenQuery = z.object({
  expiresInSeconds: one(
    'expiresInSeconds',
    wholeNumber('expiresInSeconds', MIN_TOKEN_SECONDS, MAX_TOKEN_SECONDS, `a whole number of seconds from ${MIN_TOKEN_SECONDS} to ${MAX_TOKEN_SECONDS}`),
  )
    .default(DEFAULT_TOKEN_SECONDS)
    .describe('Lifetime of the token'),
});

export const searchTokenOperations: Operation[] = [
  {
    method: 'post', path: '/v1/search-token', tag: 'Search', access: 'search', query: SearchTokenQuery,
    summary: 'A Meilisearch tenant token for searching the engine directly from a browser, limited to the key\'s companions',
    success: { status: 200, description: '`{token, expiresAt, url, indexes}`' },
  },
];

/**
 * `POST /v1/search-token`: a tenant token for a browser UI to search the engine directly (e.g. with
 * InstantSearch). Any valid key may ask; the token carries the caller's companion scope as a search
 * rule the engine itself enforces, so it can never see more than the key it was minted for.
 */
export function registerSearchTokenRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.post('/v1/search-token', (c) => {
    const { expiresInSeconds: lifetime } = parseQuery(SearchTokenQuery, queryArrays(c));
    if (!deps.searchKey) {
      throw new AppError('bad_request', 'Search tokens need the service to hold the engine master key (MEILI_MASTER_KEY, or the embedded engine)');
    }
    const companions = c.get('caller').companions;
    const rule = companions ? { filter: anyOf('companionId', companions) } : {};
    const rules: SearchRules = { [deps.names.turns]: rule, [deps.names.sessions]: rule };
    const expiresAt = Math.floor((deps.now ?? Date.now)() / 1000) + lifetime;
    return c.json({
      token: signTenantToken(deps.searchKey, rules, expiresAt),
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      url: deps.engine.url,
      indexes: { turns: deps.names.turns, sessions: deps.names.sessions },
    });
  });
}
