import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { repeatableParams } from '../../query-params.js';
import type { Operation } from './operation.js';

/**
 * The OpenAPI 3.1 document, generated from the operations the route files export and from the zod
 * schemas their handlers validate with. Schemas are rendered as the caller writes them (`io:
 * 'input'`): a whole number is an integer with its bounds even though it arrives as text.
 */
export type JsonSchema = Record<string, unknown>;

export type OpenApiParameter = {
  name: string;
  in: 'query' | 'path';
  required: boolean;
  description?: string;
  schema: JsonSchema;
  style?: 'form';
  explode?: boolean;
};

export type OpenApiOperation = {
  summary: string;
  description?: string;
  tags: string[];
  'x-access': Operation['access'];
  parameters: OpenApiParameter[];
  requestBody?: { required: true; description: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> } | { $ref: string }>;
  security?: Array<Record<string, string[]>>;
};

export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: Array<{ name: string }>;
  paths: Record<string, Partial<Record<Operation['method'], OpenApiOperation>>>;
  components: Record<string, Record<string, unknown>>;
};

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const ACCESS_NOTE: Record<Operation['access'], string> = {
  open: 'No key needed.',
  search: 'Any API key (when keys are configured).',
  admin: 'An admin API key (when keys are configured); one with a scope acts within it.',
  'unscoped-admin': 'An admin API key without a scope: no `companions`, `tenants` or `externalClients` (when keys are configured).',
};

/** Hono writes `/v1/sessions/:id`; OpenAPI writes `/v1/sessions/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)/g, '{$1}');
}

export function buildOpenApiDocument(operations: Operation[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const operation of operations) {
    (paths[openApiPath(operation.path)] ??= {})[operation.method] = describeOperation(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'transcript-search',
      version: VERSION,
      description:
        'Faceted full-text search over voice- and chat-agent session transcripts. JSON everywhere; errors are `{"error":{"code","message","requestId"}}`. ' +
        'Keys (from API_KEYS_FILE) go in `Authorization: Bearer KEY` or `X-Api-Key: KEY`; without API_KEYS_FILE the API is open and listens on loopback only.',
    },
    tags: [...new Set(operations.map((operation) => operation.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS_FILE' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'The same key, in a header of its own' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'requestId'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
            },
          },
        },
      },
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, description]) => [
          `Status${status}`,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}

const ERROR_RESPONSES = {
  400: 'A bad parameter or body; the message names it',
  401: 'No key, or an unknown one',
  403: 'The key lacks the role this needs',
  404: 'Unknown, or outside the key\'s companions (the two are indistinguishable)',
  415: 'A body not sent as Content-Type: application/json',
  503: 'The search engine is down',
} as const;

function describeOperation(operation: Operation): OpenApiOperation {
  const parameters = [
    ...Object.entries(operation.params ?? {}).map(([name, schema]) => pathParameter(name, schema)),
    ...(operation.query ? queryParameters(operation.query) : []),
  ];
  const { status, description, contentType = 'application/json' } = operation.success;
  const errors: Array<keyof typeof ERROR_RESPONSES> = operation.access === 'open' ? [400, 404, 503] : [400, 401, 403, 404, 503];
  if (operation.body) errors.push(415);
  return {
    summary: operation.summary,
    description: [operation.description, ACCESS_NOTE[operation.access]].filter(Boolean).join('\n\n'),
    tags: [operation.tag],
    'x-access': operation.access,
    parameters,
    ...(operation.body
      ? { requestBody: { required: true as const, description: operation.body, content: { 'application/json': { schema: {} } } } }
      : {}),
    responses: {
      [status]: { description, content: { [contentType]: { schema: contentType === 'application/json' ? { type: 'object' } : { type: 'string' } } } },
      ...Object.fromEntries(errors.map((code) => [code, { $ref: `#/components/responses/Status${code}` }])),
    },
    ...(operation.access === 'open' ? {} : { security: [{ bearer: [] }, { apiKeyHeader: [] }] }),
  };
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

function jsonSchema(schema: z.core.$ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return json;
}
