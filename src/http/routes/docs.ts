import type { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { buildOpenApiDocument } from '../openapi/document.js';
import { renderDocsPage } from '../openapi/docs-page.js';
import type { Operation } from '../openapi/operation.js';

export const docsOperations: Operation[] = [
  {
    method: 'get', path: '/openapi.json', tag: 'Operations', access: 'open', summary: 'This API as an OpenAPI 3.1 document',
    success: { status: 200, description: 'The document' },
  },
  {
    method: 'get', path: '/docs', tag: 'Operations', access: 'open', summary: 'This API as a readable page',
    success: { status: 200, description: 'HTML', contentType: 'text/html' },
  },
];

// The page has no script and loads nothing: a policy that allows only its inline style says so.
const DOCS_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
};

/** Open like /health: the document describes the API, not its data. Built once, at start. */
export function registerDocsRoutes(app: Hono<AppEnv>, operations: Operation[]): void {
  const document = buildOpenApiDocument(operations);
  const page = renderDocsPage(document);
  app.get('/openapi.json', (c) => c.json(document));
  app.get('/docs', (c) => c.html(page, 200, DOCS_HEADERS));
}
