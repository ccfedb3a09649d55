import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { AppError, BadRequestError } from '../errors.js';
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

/** The request body, parsed and validated; a BadRequestError names the field at fault. */
export async function readJsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S, expected: string): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new BadRequestError(`Body is not valid JSON: send ${expected}`);
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw new BadRequestError(`Unknown field '${String(issue.keys[0]).slice(0, 40)}' in the body: send ${expected}`);
  const at = issue.path.join('.');
  throw new BadRequestError(at === '' ? `Invalid body: ${issue.message}; send ${expected}` : `Invalid '${at}': ${issue.message}`);
}
