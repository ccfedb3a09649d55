import type { TokenSearchRules } from 'meilisearch';
import { generateTenantToken } from 'meilisearch/token';
import { z } from 'zod';
import { scopeFilter } from '../../engine/filter.js';
import { OPEN_API_SIGNER } from '../../engine/token-signers.js';
import { AppError } from '../../errors.js';
import { one, wholeNumber } from '../../query-params.js';
import { defineRoute } from '../define-route.js';
import type { ApiRoute } from '../route.js';
import { SearchToken } from '../schemas/operations.js';

/**
 * Token lifetime (`expiresInSeconds`): default ten minutes, at most fifteen. A token cannot be taken
 * back before it expires except by deleting its signer, which happens only when its API key is
 * removed and the service restarts; a short life bounds what a leaked token is worth.
 */
const DEFAULT_TOKEN_SECONDS = 600;
const MIN_TOKEN_SECONDS = 60;
const MAX_TOKEN_SECONDS = 900;

export const SearchTokenQuery = z.object({
  expiresInSeconds: one(
    'expiresInSeconds',
    wholeNumber('expiresInSeconds', MIN_TOKEN_SECONDS, MAX_TOKEN_SECONDS, `a whole number of seconds from ${MIN_TOKEN_SECONDS} to ${MAX_TOKEN_SECONDS}`),
  )
    .default(DEFAULT_TOKEN_SECONDS)
    .describe('Lifetime of the token'),
});

/**
 * `POST /v1/search-token`: a tenant token for a browser UI to search the engine directly (e.g. with
 * InstantSearch). Any valid key may ask; the token carries the caller's scope (exact keys) as a search
 * rule the engine itself enforces, so it can never see more than the key it was minted for, and it is
 * signed by that key's own engine key (token-signers.ts), so it dies with the key.
 */
export const searchTokenRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'post', path: '/v1/search-token', tag: 'Search', access: 'search', query: SearchTokenQuery,
      summary: "A Meilisearch tenant token for searching the engine directly from a browser, limited to the key's scope",
      responses: { 200: { description: 'The token, and where and what it searches', schema: SearchToken } },
    },
    (deps) => async (c, { caller, query }) => {
      if (!deps.tokenSigners) {
        throw new AppError('bad_request', 'Search tokens need the service to hold the engine master key (MEILI_MASTER_KEY, or the embedded engine)');
      }
      const signerId = caller.keyId ?? OPEN_API_SIGNER;
      const signer = deps.tokenSigners.get(signerId);
      // `serve` makes a signer for every key it accepts: a missing one is a bug, answered as such.
      if (!signer) throw new Error(`No token signer for key id ${signerId}`);
      // Only the two indexes, whatever the key: the rules are the token's whole reach.
      const filter = scopeFilter(caller);
      const rule = filter ? { filter } : {};
      const rules: TokenSearchRules = { [deps.names.turns]: rule, [deps.names.sessions]: rule };
      const expiresAt = Math.floor((deps.now ?? Date.now)() / 1000) + query.expiresInSeconds;
      return c.json(
        {
          token: await generateTenantToken({ apiKey: signer.key, apiKeyUid: signer.uid, searchRules: rules, expiresAt }),
          expiresAt: new Date(expiresAt * 1000).toISOString(),
          ...(deps.publicEngineUrl ? { url: deps.publicEngineUrl } : {}),
          indexes: { turns: deps.names.turns, sessions: deps.names.sessions },
        },
        200,
      );
    },
  ),
];
