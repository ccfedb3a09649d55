import { createHmac } from 'node:crypto';
import type { EngineKey } from './keys.js';

/**
 * A Meilisearch tenant token: a JWT signed (HS256) with an API key's secret, naming that key's uid and
 * the search rules the engine applies to every search made with the token. The engine ANDs a rule's
 * filter with whatever filter the bearer sends, so a browser holding it cannot search wider; it
 * refuses the token after `exp` or once the signing key is deleted.
 */
export type SearchRules = Record<string, { filter?: string }>;

export function signTenantToken(key: EngineKey, searchRules: SearchRules, expiresAtSeconds: number): string {
  const header = base64Json({ alg: 'HS256', typ: 'JWT' });
  const payload = base64Json({ searchRules, apiKeyUid: key.uid, exp: Math.floor(expiresAtSeconds) });
  const signature = createHmac('sha256', key.key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
