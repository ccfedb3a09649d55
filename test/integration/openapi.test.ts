import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import type { OpenApiDocument, OpenApiOperation } from '../../src/http/openapi/document.js';
import { openApiPath } from '../../src/http/openapi/document.js';
import { silentLogger } from '../../src/logger.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';

/**
 * GET /openapi.json is generated from the route declarations: every registered route is in it and
 * nothing else, every query parameter it names is one the endpoint accepts, every answer has a
 * schema or a content type, the access it documents is the access the route enforces, and GET /docs
 * renders it, with the fields of each answer, without loading anything from elsewhere. (That real
 * answers match the schemas is response-schemas.test.ts.)
 */
let engine: TestEngine;
let app: ReturnType<typeof createApp>;
let document: OpenApiDocument;

/** A value for each path parameter, so the route matches. */
const PATH_VALUES: Record<string, string> = { id: 'sess_x', name: 'companionId', externalClientId: 'client_x', file: 'app.js' };

function operations(): Array<{ method: string; path: string; operation: OpenApiOperation }> {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path, operation: operation! })),
  );
}

beforeAll(async () => {
  engine = await createTestEngine('openapi');
  app = createApp({ engine: engine.client, names: engine.names, log: silentLogger });
  const response = await app.request('/openapi.json');
  expect(response.status).toBe(200);
  document = (await response.json()) as OpenApiDocument;
});

afterAll(async () => {
  await engine?.drop();
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: 'transcript-search', version: expect.any(String) });
  });

  it('documents every route registered on the app, and only those', () => {
    const registered = app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method.toLowerCase()} ${openApiPath(route.path)}`);
    const documented = operations().map(({ method, path }) => `${method} ${path}`);
    expect(registered.length).toBeGreaterThan(15);
    expect(new Set(documented)).toEqual(new Set(registered));
    expect(documented).toHaveLength(new Set(documented).size);
  });

  it('names every path parameter of a path', () => {
    for (const { path, operation } of operations()) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      expect(operation.parameters.filter((p) => p.in === 'path').map((p) => p.name), path).toEqual(inPath);
    }
  });

  it('lists only query parameters the endpoint accepts, and the endpoint refuses others', async () => {
    for (const { method, path, operation } of operations()) {
      const query = operation.parameters.filter((parameter) => parameter.in === 'query');
      if (query.length === 0) continue;
      const url = path.replace(/\{(\w+)\}/g, (_match, name: string) => PATH_VALUES[name]!);
      const init = method === 'post' ? { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } } : { method: method.toUpperCase() };
      for (const parameter of query) {
        // Empty is a bad value for most parameters: the answer may be 400, but never for an unknown name.
        const response = await app.request(`${url}?${parameter.name}=`, init);
        const text = await response.text();
        expect(text, `${method} ${path} ${parameter.name}`).not.toContain('Unknown parameter');
      }
      const unknown = await app.request(`${url}?undocumented=1`, init);
      expect(unknown.status, `${method} ${path}`).toBe(400);
      expect(await unknown.text()).toContain(`Unknown parameter 'undocumented'`);
    }
  });

  it('describes search parameters with the bounds and defaults the validation uses', () => {
    const turns = document.paths['/v1/search/turns']!.get!;
    const byName = Object.fromEntries(turns.parameters.map((parameter) => [parameter.name, parameter]));
    expect(Object.keys(byName).sort()).toEqual(
      ['q', 'companionId', 'externalClientId', 'tenantId', 'tag', 'knowledgeBaseId', 'function', 'faqId', 'role', 'from', 'to', 'sort', 'page', 'hitsPerPage', 'facets', 'facetMode', 'context'].sort(),
    );
    for (const name of ['knowledgeBaseId', 'function', 'faqId']) expect(byName[name], name).toMatchObject({ style: 'form', explode: true, schema: { type: 'array' } });
    expect(byName.hitsPerPage!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 20 });
    expect(byName.context!.schema).toMatchObject({ type: 'integer', minimum: 0, maximum: 5, default: 0 });
    expect(byName.sort!.schema).toMatchObject({ enum: ['relevance', 'newest', 'oldest'], default: 'relevance' });
    expect(byName.facetMode!.schema).toMatchObject({ enum: ['conjunctive', 'disjunctive'], default: 'conjunctive' });
    expect(byName.tag).toMatchObject({ style: 'form', explode: true, schema: { type: 'array' } });
    expect(byName.facets).toMatchObject({ style: 'form', explode: false, schema: { type: 'array', items: { enum: expect.arrayContaining(['role', 'knowledgeBaseId', 'functions', 'faqIds']) } } });
    expect(document.paths['/v1/search/sessions']!.get!.parameters.map((parameter) => parameter.name)).not.toContain('context');
  });

  it('describes the conversation conditions of session searches and exports, and the export formats', () => {
    for (const path of ['/v1/search/sessions', '/v1/export/sessions']) {
      const byName = Object.fromEntries(document.paths[path]!.get!.parameters.map((parameter) => [parameter.name, parameter]));
      for (const name of ['said', 'notSaid']) expect(byName[name], `${path} ${name}`).toMatchObject({ style: 'form', explode: true, schema: { type: 'array' }, description: expect.stringContaining('ROLE:TEXT') });
      expect(byName.order!.schema).toMatchObject({ enum: ['said'] });
      expect(byName.within!.schema).toMatchObject({ type: 'integer', minimum: 1 });
    }
    const turnSearch = document.paths['/v1/search/turns']!.get!.parameters.map((parameter) => parameter.name);
    const turnExport = document.paths['/v1/export/turns']!.get!.parameters.map((parameter) => parameter.name);
    expect(turnExport.sort()).toEqual([...turnSearch, 'format'].sort());
    const format = document.paths['/v1/export/turns']!.get!.parameters.find((parameter) => parameter.name === 'format')!;
    expect(format.schema).toMatchObject({ enum: ['jsonl', 'csv'], default: 'jsonl' });
    expect(Object.keys((document.paths['/v1/export/sessions']!.get!.responses['200'] as { content: object }).content)).toEqual(['application/x-ndjson', 'text/csv']);
    const { schemas } = document.components;
    expect((schemas.SessionHit!.properties as Record<string, unknown>).matches).toEqual({
      type: 'array', items: { $ref: '#/components/schemas/ConversationMatch' }, description: expect.any(String),
    });
  });

  it('marks which endpoints need a key', () => {
    expect(document.paths['/health']!.get!.security).toBeUndefined();
    expect(document.paths['/v1/search/turns']!.get!.security).toEqual([{ bearer: [] }, { apiKeyHeader: [] }]);
    expect(document.paths['/metrics']!.get!['x-access']).toBe('unscoped-admin');
    expect(document.paths['/metrics']!.get!.description).toContain('metrics count every companion, tenant and client');
    expect(document.paths['/v1/sessions']!.post!['x-access']).toBe('admin');
  });

  it('documents every answer: JSON by a named schema, anything else by its content type or a redirect', () => {
    for (const { method, path, operation } of operations()) {
      expect(Object.values(operation.responses).some((response) => !('$ref' in response)), `${method} ${path}`).toBe(true);
      for (const [status, response] of Object.entries(operation.responses)) {
        // The common error answers, checked below with every other reference.
        if ('$ref' in response) continue;
        const where = `${method} ${path} ${status}`;
        if (status === '302') {
          expect(response.headers?.location, where).toBeDefined();
          continue;
        }
        const content = Object.entries(response.content ?? {});
        expect(content.length, where).toBeGreaterThan(0);
        for (const [type, { schema }] of content) {
          if (type !== 'application/json') continue;
          expect(schema.$ref, where).toMatch(/^#\/components\/schemas\/\w+$/);
          expect(document.components.schemas[String(schema.$ref).split('/').pop()!], where).toBeDefined();
        }
      }
    }
    for (const ref of JSON.stringify(document).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)) {
      expect((document.components as Record<string, Record<string, unknown>>)[ref[1]!]![ref[2]!], ref[0]).toBeDefined();
    }
  });

  it('documents the search answers field by field: highlights as HTML with <mark>, one stats entry per name', () => {
    const { schemas } = document.components;
    const properties = (name: string) => schemas[name]!.properties as Record<string, { description?: string; $ref?: string }>;
    expect(properties('TurnSearchPage').hits).toEqual({ type: 'array', items: { $ref: '#/components/schemas/TurnHit' } });
    expect(properties('TurnHit').highlight!.description).toMatch(/HTML-escaped text whose only markup is `<mark>`/);
    expect(properties('SessionHit').snippet!.description).toMatch(/HTML-escaped text whose only markup is `<mark>`/);
    expect(Object.keys(properties('SessionStats')).sort()).toEqual(
      ['count', 'durationSeconds', 'turnCount', 'llmInputTokens', 'llmOutputTokens', 'tokens', 'sttAudioSeconds', 'ttsCharacters', 'costUsd'].sort(),
    );
    expect(properties('SessionStats').costUsd).toEqual({ $ref: '#/components/schemas/NumberStats' });
    expect(Object.keys(properties('PushResult'))).toEqual(['accepted', 'rejected', 'redactions']);
    expect(document.paths['/v1/sessions']!.post!.responses['202']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/PushResult' } } } });
    expect(document.paths['/ready']!.get!.responses['503']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Readiness' } } } });
  });
});

describe('the access each route documents', () => {
  const KEYS = { search: 'search-key-0123456789abcdef', admin: 'admin-key-0123456789abcdef', scopedAdmin: 'scoped-admin-key-0123456789' };

  it('is the access it enforces: 401 without a key, 403 for a key below it, and no 401 or 403 for a key that has it', async () => {
    const keyed = createApp({
      engine: engine.client,
      names: engine.names,
      log: silentLogger,
      keys: new ApiKeys([
        { key: KEYS.search, name: 'search', role: 'search' },
        { key: KEYS.admin, name: 'admin', role: 'admin' },
        { key: KEYS.scopedAdmin, name: 'scoped-admin', role: 'admin', companions: ['comp_x'] },
      ]),
    });
    const refusedBy: Record<string, Array<keyof typeof KEYS | 'none'>> = {
      open: [],
      search: ['none'],
      admin: ['none', 'search'],
      'unscoped-admin': ['none', 'search', 'scopedAdmin'],
    };
    for (const { method, path, operation } of operations()) {
      const url = path.replace(/\{(\w+)\}/g, (_match, name: string) => PATH_VALUES[name]!);
      for (const caller of ['none', 'search', 'scopedAdmin', 'admin'] as const) {
        const headers: Record<string, string> = operation.requestBody ? { 'content-type': 'application/json' } : {};
        if (caller !== 'none') headers.authorization = `Bearer ${KEYS[caller]}`;
        const response = await keyed.request(url, { method: method.toUpperCase(), headers, ...(operation.requestBody ? { body: '[]' } : {}) });
        const text = await response.text();
        const where = `${method} ${path} as ${caller}: ${text.slice(0, 200)}`;
        const refused = refusedBy[operation['x-access']]!.includes(caller);
        if (!refused) expect([401, 403], where).not.toContain(response.status);
        else expect(response.status, where).toBe(caller === 'none' ? 401 : 403);
      }
    }
  });
});

describe('GET /docs', () => {
  it('renders every operation on a page that loads nothing from elsewhere', async () => {
    const response = await app.request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    for (const { path } of operations()) expect(html).toContain(`<code>${path}</code>`);
    expect(html).toContain('integer 1–100');
    expect(html).not.toMatch(/<script|(src|href)="(https?:)?\/\//i);
  });

  it('shows the fields of every answer, and of every type an answer names', async () => {
    const html = await (await app.request('/docs')).text();
    expect(html).toContain('Returns 200, <a href="#type-TurnSearchPage">TurnSearchPage</a>');
    expect(html).toContain('<tr><td><code>hits</code></td><td>list of <a href="#type-TurnHit">TurnHit</a></td>');
    for (const name of Object.keys(document.components.schemas)) expect(html).toContain(`<section id="type-${name}">`);
    expect(html).toMatch(/<tr><td><code>highlight<\/code><\/td><td>string<\/td><td><code>text<\/code>, HTML-escaped text whose only markup is <code>&lt;mark&gt;<\/code>/);
  });
});
