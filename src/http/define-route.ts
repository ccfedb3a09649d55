import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { BadRequestError } from '../errors.js';
import { parseQuery, type RawQuery } from '../query-params.js';
import type { ApiKeys } from './api-keys.js';
import { checkAccess, identifyCaller } from './auth.js';
import type { AppEnv, RouteDeps } from './env.js';
import { requireJsonBody } from './json-body.js';
import type { ApiRoute, Handler, RouteDeclaration, RouteInput } from './route.js';

/**
 * A route from its declaration and a factory of its handler (given the app's dependencies). Serving it
 * checks, in this order, what the declaration says: a JSON body, the caller's key and role, the path
 * parameters, the query (unknown names refused); only then does the handler run. Nothing else runs
 * per request: the search routes pay what a hand-written handler paid, and responses are not
 * validated at run time (the schemas are checked against the handlers by the type checker and by a
 * test that validates real answers).
 */
export function defineRoute<const R extends RouteDeclaration>(
  declaration: R,
  handler: (deps: RouteDeps, api: readonly RouteDeclaration[]) => Handler<R>,
): ApiRoute {
  return { declaration, mount: (app, deps, api) => mountRoute(app, declaration, handler(deps, api), deps.keys) };
}

function mountRoute<R extends RouteDeclaration>(app: Hono<AppEnv>, route: R, handler: Handler<R>, keys: ApiKeys | undefined): void {
  const { access, query } = route;
  const params = Object.entries(route.params ?? {});
  const serve = async (c: Context<AppEnv>) => {
    // Open routes read no key: a wrong one must not turn /health into a 401.
    const caller = access === 'open' ? undefined : identifyCaller(c, keys);
    if (caller) checkAccess(caller, access);
    const input = {
      caller,
      params: params.length === 0 ? {} : Object.fromEntries(params.map(([name, schema]) => [name, parseParam(name, schema, c.req.param(name))])),
      query: query && parseQuery(query, c.req.queries() as RawQuery),
    };
    // Parsed with the declaration's own schemas just above; the conditional types of RouteInput cannot follow that.
    return handler(c, input as RouteInput<R>);
  };
  const method = route.method.toUpperCase();
  if (route.body) app.on(method, route.path, requireJsonBody, serve);
  else app.on(method, route.path, serve);
}

function parseParam(name: string, schema: z.ZodType<string>, text: string | undefined): string {
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new BadRequestError(parsed.error.issues[0]?.message ?? `Invalid path parameter '${name}'`);
  return parsed.data;
}
