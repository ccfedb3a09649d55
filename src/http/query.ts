import type { Context } from 'hono';
import type { RawQuery } from '../query-params.js';

/** All query parameters as arrays, so repeated ones are seen. */
export function queryArrays(c: Context): RawQuery {
  return c.req.queries() as RawQuery;
}
