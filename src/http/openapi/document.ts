import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { repeatableParams } from '../../query-params.js';
import { MAX_BODY_BYTES } from '../body-limit.js';
import type { Access, Reply, RouteDeclaration } from '../route.js';
import { ErrorBody } from '../schemas/error.js';
import { responseSchemas } from '../schemas/registry.js';
import { jsonSchema, tidySchema, type JsonSchema } from './json-schema.js';

/**
 * The OpenAPI 3.1 document, generated from the route declarations: their query and path schemas (as
 * the handlers validate them), their access, and their response schemas, which are listed once each
 * under `components.schemas` by the name they are registered with.
 */
export type OpenApiParameter = {
  name: string;
  in: 'query' | 'path';
  required: boolean;
  description?: string;
  schema: JsonSchema;
  style?: 'form';
  explode?: boolean;
};

type Content = Record<string, { schema: JsonSchema }>;

export type OpenApiResponse = { description: string; content?: Content; headers?: Record<string, { description: string; schema: JsonSchema }> };

export type OpenApiOperation = {
  summary: string;
  description?: string;
  tags: string[];
  'x-access': AccessLevel;
  parameters: OpenApiParameter[];
  requestBody?: { required: true; description: string; content: Content };
  responses: Record<string, OpenApiResponse | { $ref: string }>;
  security?: Array<Record<string, string[]>>;
};

export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: Array<{ name: string }>;
  paths: Record<string, Partial<Record<RouteDeclaration['method'], OpenApiOperation>>>;
  components: {
    securitySchemes: Record<string, Record<string, string>>;
    schemas: Record<string, JsonSchema>;
    responses: Record<string, OpenApiResponse>;
  };
};

type AccessLevel = Exclude<Access, object> | 'unscoped-admin';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const SCHEMAS = '#/components/schemas/';

const ACCESS_NOTE: Record<AccessLevel, string> = {
  open: 'No key needed.',
  search: 'Any API key (when keys are configured).',
  admin: 'An admin API key (when keys are configured); one with a scope acts within it.',
  'unscoped-admin': 'An admin API key without a scope: no `companions`, `tenants` or `externalClients` (when keys are configured)',
};

const ERROR_RESPONSES = {
  400: 'A bad parameter or body; the message names it',
  401: 'No key, or an unknown one',
  403: 'The key lacks the role this needs',
  404: "Unknown, or outside the key's scope (the two are indistinguishable)",
  409: 'The client of the session was forgotten; its sessions are refused until an operator re-enables it',
  413: `A body over ${MAX_BODY_BYTES / 2 ** 20} MiB, or a session past a size limit`,
  415: 'A body not sent as Content-Type: application/json',
  502: 'The vendor API failed',
  503: 'The search engine (or the vendor API) is down',
} as const;

type ErrorStatus = keyof typeof ERROR_RESPONSES;

/** Hono writes `/v1/sessions/:id`; OpenAPI writes `/v1/sessions/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)/g, '{$1}');
}

function accessLevel(access: Access): AccessLevel {
  return typeof access === 'string' ? access : access.level;
}

export function buildOpenApiDocument(routes: readonly RouteDeclaration[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) (paths[openApiPath(route.path)] ??= {})[route.method] = describeOperation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'transcript-search',
      version: VERSION,
      description:
        'Faceted full-text search over voice- and chat-agent session transcripts. JSON everywhere; errors are `{"error":{"code","message","requestId"}}`. ' +
        'Keys (from API_KEYS_FILE) go in `Authorization: Bearer KEY` or `X-Api-Key: KEY`; without API_KEYS_FILE the API is open and listens on loopback only.',
    },
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS_FILE' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'The same key, in a header of its own' },
      },
      schemas: componentSchemas(),
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, description]) => [`Status${status}`, { description, content: jsonContent(schemaRef(ErrorBody)) }]),
      ),
    },
  };
}

/** Every named response schema, referring to the others by name. */
function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(responseSchemas, { io: 'input', uri: (id) => `${SCHEMAS}${id}` }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, tidySchema(schema)]),
  );
}

function schemaRef(schema: z.ZodType): JsonSchema {
  const id = responseSchemas.get(schema)?.id;
  // Thrown while the app is built, so a route answering an unnamed schema never starts.
  if (!id) throw new Error('A response schema must be registered by name (schemas/registry.ts `named`)');
  return { $ref: `${SCHEMAS}${id}` };
}

function jsonContent(schema: JsonSchema): Content {
  return { 'application/json': { schema } };
}

function describeReply(reply: Reply): OpenApiResponse {
  if ('schema' in reply) return { description: reply.description, content: jsonContent(schemaRef(reply.schema)) };
  if ('redirect' in reply) return { description: reply.description, headers: { location: { description: 'Where to go', schema: { type: 'string', format: 'uri' } } } };
  const types = typeof reply.contentType === 'string' ? [reply.contentType] : reply.contentType;
  return { description: reply.description, content: Object.fromEntries(types.map((type) => [type, { schema: { type: 'string' } }])) };
}

function errorStatuses(route: RouteDeclaration): ErrorStatus[] {
  const common: ErrorStatus[] = accessLevel(route.access) === 'open' ? [400, 404, 503] : [400, 401, 403, 404, 503];
  const body: ErrorStatus[] = route.body ? [413, 415] : [];
  const all = new Set<ErrorStatus>([...common, ...body, ...(route.errors ?? [])]);
  // A route that documents a status itself (503 from /ready) answers its own body there.
  return [...all].filter((status) => !(status in route.responses)).sort((a, b) => a - b);
}

function describeOperation(route: RouteDeclaration): OpenApiOperation {
  const level = accessLevel(route.access);
  const accessNote = typeof route.access === 'object' ? `${ACCESS_NOTE[level]}: ${lowerFirst(route.access.reason)}.` : ACCESS_NOTE[level];
  return {
    summary: route.summary,
    description: [route.description, accessNote].filter(Boolean).join('\n\n'),
    tags: [route.tag],
    'x-access': level,
    parameters: [
      ...Object.entries(route.params ?? {}).map(([name, schema]) => pathParameter(name, schema)),
      ...(route.query ? queryParameters(route.query) : []),
    ],
    ...(route.body ? { requestBody: { required: true as const, description: route.body, content: jsonContent({}) } } : {}),
    responses: {
      ...Object.fromEntries(Object.entries(route.responses).map(([status, reply]) => [status, describeReply(reply)])),
      ...Object.fromEntries(errorStatuses(route).map((status) => [status, { $ref: `#/components/responses/Status${status}` }])),
    },
    ...(level === 'open' ? {} : { security: [{ bearer: [] }, { apiKeyHeader: [] }] }),
  };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function pathParameter(name: string, schema: z.ZodType): OpenApiParameter {
  const { description, ...json } = jsonSchema(schema);
  return { name, in: 'path', required: true, ...(typeof description === 'string' ? { description } : {}), schema: json };
}

function queryParameters(query: z.ZodObject): OpenApiParameter[] {
  // Parsing an empty query yields each parameter's default, as the handler will see it.
  const defaults: Record<string, unknown> = query.safeParse({}).data ?? {};
  return Object.entries(query.shape).map(([name, field]) => {
    const { description, ...json } = jsonSchema(field);
    const fallback = defaults[name];
    if (fallback !== undefined && fallback !== '' && !(Array.isArray(fallback) && fallback.length === 0)) json.default = fallback;
    // A repeatable parameter's meaning is written on its values; the parameter is where readers look.
    const items = json.items as JsonSchema | undefined;
    const text = description ?? items?.description;
    if (items) delete items.description;
    return {
      name,
      in: 'query' as const,
      required: false,
      ...(typeof text === 'string' ? { description: text } : {}),
      schema: json,
      // Repeated (`tag=a&tag=b`) or comma-separated (`facets=a,b`).
      ...(json.type === 'array' ? { style: 'form' as const, explode: repeatableParams.has(field) } : {}),
    };
  });
}
