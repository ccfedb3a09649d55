import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import type { AppEnv } from './env.js';

/**
 * Runs before every route whose declaration has a `body` (define-route.ts): the body must be declared
 * `application/json` (parameters such as `; charset=utf-8` allowed). Besides telling a client what
 * went wrong, it closes the door a browser leaves open: a page may send `text/plain`, form or
 * multipart bodies anywhere without asking, but `application/json` only after a CORS preflight,
 * which this API never grants.
 */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header('content-type');
  const mediaType = type?.split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new AppError(
      'unsupported_media_type',
      `The body must be JSON sent with Content-Type: application/json (got ${type === undefined ? 'no Content-Type' : `'${type.slice(0, 100)}'`})`,
    );
  }
  return next();
};
