import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import { isScoped } from '../model.js';
import type { ApiKeys, Caller } from './api-keys.js';
import type { AppEnv } from './env.js';
import type { Access } from './route.js';

/** Without configured keys every caller is an unscoped admin (the open API binds loopback only). */
const OPEN_CALLER: Caller = { name: 'open', role: 'admin' };

/** Who is calling, from the key presented (401 without a valid one); remembered for the rest of the request. */
export function identifyCaller(c: Context<AppEnv>, keys: ApiKeys | undefined): Caller {
  const known = c.get('caller') as Caller | undefined;
  if (known) return known;
  let caller = OPEN_CALLER;
  if (keys) {
    const presented = bearer(c.req.header('authorization')) ?? c.req.header('x-api-key');
    const found = presented ? keys.find(presented) : undefined;
    if (!found) throw new AppError('unauthorized', presented ? 'Invalid API key' : 'Missing API key: send Authorization: Bearer KEY or X-Api-Key: KEY');
    caller = found;
  }
  c.set('caller', caller);
  return caller;
}

/** For a whole path tree: every request in it, to a route or not, needs a valid key before anything else. */
export function authenticate(keys: ApiKeys | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    identifyCaller(c, keys);
    return next();
  };
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

/**
 * 403 unless the caller may use a route declared with this access. The message names the role the
 * route needs and what the key has instead: a search key is told its role is search (reads that span
 * every scope, such as sync status and metrics, are refused to it too, and "may not change data" would
 * be wrong there); routes whose effect or answer spans every companion, tenant and client say what
 * they are, so a scoped admin learns why its key is not enough.
 */
export function checkAccess(caller: Caller, access: Access): void {
  if (access === 'open' || access === 'search') return;
  if (access === 'admin') {
    if (caller.role !== 'admin') throw new AppError('forbidden', "This key may search but not change data: this needs a key of role admin, and this key's role is search");
    return;
  }
  if (caller.role !== 'admin') {
    throw new AppError('forbidden', `${access.reason}: this needs a key of role admin without companions, tenants or externalClients, and this key's role is search`);
  }
  if (isScoped(caller)) {
    throw new AppError('forbidden', `${access.reason}: this needs an admin key without companions, tenants or externalClients, and this key has a scope`);
  }
}
