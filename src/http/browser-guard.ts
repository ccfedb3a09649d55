import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import { isLoopbackHost } from './api-keys.js';
import type { AppEnv } from './env.js';

/**
 * What a web page in the user's browser must not do to this API. Browsers send requests to any
 * address a page names, with the user's network position: a page on another origin can POST with
 * `mode: "no-cors"` (it cannot read the answer, but the write happens), and a page whose domain is
 * re-pointed at 127.0.0.1 (DNS rebinding) reaches the open API as if it were the same origin.
 *
 * - Open API (no API_KEYS_FILE): a request is answered only when its Host names a loopback address
 *   (`localhost`, `127.x.x.x`, `[::1]`, any port). A rebound name arrives with the attacker's Host.
 *   `serve` binds the open API to a loopback address only, so these names cover the bound one.
 * - Every mode: a write (anything but GET/HEAD/OPTIONS) carrying an `Origin` other than the request's
 *   own host, or `Sec-Fetch-Site: cross-site|same-site`, comes from another site's page: refused.
 *   Scripts and curl send neither header, and the pages write only to this same origin.
 *
 * Both answer 403 `forbidden` (rather than 421 for a wrong Host: the caller is refused, not misrouted).
 */
export function guardAgainstBrowserPages(options: { open: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const host = parseHost(c.req.header('host') ?? new URL(c.req.url).host);
    if (options.open && !(host && isLoopbackHost(host.hostname))) {
      throw new AppError(
        'forbidden',
        'Without API keys this API answers only requests addressed to a loopback name (localhost, 127.0.0.1, [::1])',
      );
    }
    if (!READ_METHODS.has(c.req.method)) {
      const origin = c.req.header('origin');
      if (origin !== undefined && (host === undefined || originHost(origin) !== host.host)) {
        throw new AppError('forbidden', 'Writes from a page of another origin are refused');
      }
      const site = c.req.header('sec-fetch-site');
      if (site === 'cross-site' || site === 'same-site') {
        throw new AppError('forbidden', `Writes from a page of another site are refused (Sec-Fetch-Site: ${site})`);
      }
    }
    return next();
  };
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A Host header as a URL (`hostname` without the port, `host` with it); undefined for what is not a host. */
function parseHost(host: string): URL | undefined {
  try {
    return new URL(`http://${host}`);
  } catch {
    return undefined;
  }
}

/**
 * `http://localhost:3000` → `localhost:3000`; the scheme is left out, so a TLS proxy in front of the
 * service (page on https, request to the service on http) still counts as the same origin. `null`
 * (sandboxed frames, file: pages) and anything unparsable → undefined, which matches no host.
 */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
