import type { Hono } from 'hono';
import { z } from 'zod';
import { signTenantToken, type SearchRules } from '../../engine/tenant-token.js';
import { AppError, BadRequestError } from '../../errors.js';
import { anyOf } from '../../search/filter.js';
import { rejectUnknown } from '../../search/params.js';
import { queryArrays, type AppDeps, type AppEnv } from '../app.js';

/** Token lifetime: default one hour, at most a day (`expiresInSeconds`). */
const DEFAULT_TOKEN_SECONDS = 3_600;
const MIN_TOKEN_SECONDS = 60;
const MAX_TOKEN_SECONDS = 86_400;

const ExpiresIn = z
  .string()
  .regex(/^\d{1,6}$/, `expected a whole number of seconds from ${MIN_TOKEN_SECONDS} to ${MAX_TOKEN_SECONDS}`)
  .transform(Number)
  .pipe(z.number().min(MIN_TOKEN_SECONDS).max(MAX_TOKEN_SECONDS));

/**
 * `POST /v1/search-token`: a tenant token for a browser UI to search the engine directly (e.g. with
 * InstantSearch). Any valid key may ask; the token carries the caller's companion scope as a search
 * rule the engine itself enforces, so it can never see more than the key it was minted for.
 */
export function registerSearchTokenRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.post('/v1/search-token', (c) => {
    const query = queryArrays(c);
    rejectUnknown(query, ['expiresInSeconds']);
    const given = query.expiresInSeconds ?? [];
    if (given.length > 1) throw new BadRequestError(`Parameter 'expiresInSeconds' may be given once, got ${given.length} values`);
    let lifetime = DEFAULT_TOKEN_SECONDS;
    if (given[0] !== undefined) {
      const parsed = ExpiresIn.safeParse(given[0]);
      if (!parsed.success) throw new BadRequestError(`Invalid 'expiresInSeconds': ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
      lifetime = parsed.data;
    }
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
