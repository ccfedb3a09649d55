import type { Context, Hono, TypedResponse } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import type { JSONParsed } from 'hono/utils/types';
import type { z } from 'zod';
import type { Caller } from './api-keys.js';
import type { AppEnv, RouteDeps } from './env.js';

/*
 * One declaration per route: what it is (method, path, words), who may call it, what it takes and what
 * it answers. The route's guard and parameter parsing (define-route.ts) and the OpenAPI document
 * (openapi/document.ts) are both made from it, so neither can drift from the other.
 */

/**
 * Who may call it when API keys are configured (without keys everything is open): `open` needs no
 * key, `search` any key, `admin` an admin key (one with a scope acts within it), `unscoped-admin` an
 * admin key without a scope, for routes whose effect or answer spans every companion, tenant and
 * client; `reason` says which, and begins the 403 a scoped or search key gets.
 */
export type Access = 'open' | 'search' | 'admin' | { level: 'unscoped-admin'; reason: string };

export type Tag = 'Search' | 'Sessions' | 'Trackers' | 'Clients' | 'Sync' | 'Operations' | 'Page';

/** A JSON body; `schema` is registered by name in schemas/registry.ts. */
export type JsonReply = { description: string; schema: z.ZodType };
/** A body of another kind: a page, a script, a text format. */
export type OtherReply = { description: string; contentType: string | readonly string[] };
export type RedirectReply = { description: string; redirect: true };
export type Reply = JsonReply | OtherReply | RedirectReply;

/**
 * Statuses a route may document on top of the common errors: 400, 404 and 503 everywhere, 401 and 403
 * where a key is needed, 413 and 415 where a body is.
 */
type ExtraErrorStatus = 409 | 502;

export type RouteDeclaration = {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** In Hono's form, as registered: `/v1/sessions/:id`. */
  path: string;
  summary: string;
  description?: string;
  tag: Tag;
  access: Access;
  /** Validated before the handler runs; unknown names are refused. Absent: the query is not read. */
  query?: z.ZodObject;
  /** Path parameters by name, each a schema of its text, validated before the handler runs. */
  params?: Readonly<Record<string, z.ZodType<string>>>;
  /** The request body, in words (pushes take either vendor shape, detected per record); it must be sent as JSON. */
  body?: string;
  /** By status; error bodies are common to all routes and not repeated here. */
  responses: Readonly<Record<number, Reply>>;
  errors?: readonly ExtraErrorStatus[];
};

/** What the handler is given, parsed from the request as the declaration says. */
export type RouteInput<R extends RouteDeclaration> = {
  /** Absent on open routes, which read no key. */
  caller: R['access'] extends 'open' ? undefined : Caller;
  query: R['query'] extends z.ZodObject ? z.output<R['query']> : undefined;
  params: { [K in keyof R['params']]: R['params'][K] extends z.ZodType ? z.output<R['params'][K]> : never };
};

/** Serialised, a readonly array is an array like any other: the handler's types may be readonly where the schema's are not. */
type ReadonlyArrays<T> = T extends ReadonlyArray<infer Item> ? ReadonlyArray<ReadonlyArrays<Item>> : T extends object ? { [K in keyof T]: ReadonlyArrays<T[K]> } : T;

type ReplyFor<S extends number, D> = D extends { schema: infer Schema extends z.ZodType }
  ? Response & TypedResponse<ReadonlyArrays<JSONParsed<z.input<Schema>>>, Extract<S, StatusCode>, 'json'>
  : D extends { redirect: true }
    ? Response & TypedResponse<undefined, Extract<S, StatusCode>, 'redirect'>
    : Response;

/**
 * The responses a handler may return: for a JSON reply, `c.json(body, status)` whose body type-checks
 * against the declared schema, so a handler cannot answer a shape its documentation does not have.
 */
export type RouteReply<R extends RouteDeclaration> = { [S in keyof R['responses'] & number]: ReplyFor<S, R['responses'][S]> }[keyof R['responses'] & number];

export type Handler<R extends RouteDeclaration> = (c: Context<AppEnv>, input: RouteInput<R>) => RouteReply<R> | Promise<RouteReply<R>>;

/** A declared route and how to serve it. `api` is every route of the app (for the routes that describe the API). */
export type ApiRoute = {
  declaration: RouteDeclaration;
  mount(app: Hono<AppEnv>, deps: RouteDeps, api: readonly RouteDeclaration[]): void;
};
