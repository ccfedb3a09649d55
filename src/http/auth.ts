import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import { isScoped } from '../model.js';
import type { ApiKeys, Caller } from './api-keys.js';
import type { AppEnv } from './env.js';

/** Without configured keys every caller is an unscoped admin (the open API binds loopback only). */
const OPEN_CALLER: Caller = { name: 'open', role: 'admin' };

/** Sets the caller from the key presented; without configured keys every caller is an unscoped admin. */
export function authenticate(keys: ApiKeys | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!keys) {
      c.set('caller', OPEN_CALLER);
      return next();
    }
    const presented = bearer(c.req.header('authorization')) ?? c.req.header('x-api-key');
    const caller = presented ? keys.find(presented) : undefined;
    if (!caller) throw new AppError('unauthorized', presented ? 'Invalid API key' : 'Missing API key: send Authorization: Bearer KEY or X-Api-Key: KEY');
    c.set('caller', caller);
    return next();
  };
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

/** Routes that change data call this first. */
export function requireAdmin(caller: Caller): void {
  if (caller.role !== 'admin') throw new AppError('forbidden', 'This key may search but not change data (role admin needed)');
}

/**
 * Routes whose effect or answer spans every companion, tenant and client (sync status and passes,
 * metrics, the forgotten-clients list) call this, saying what they are: a key with a scope may
 * neither see nor change them, and a search key is told so rather than that it "may not change data".
 */
export function requireUnscopedAdmin(caller: Caller, reason: string): void {
  if (caller.role !== 'admin' || isScoped(caller)) {
    throw new AppError('forbidden', `${reason}: this needs an admin key without companions, tenants or externalClients`);
  }
}
