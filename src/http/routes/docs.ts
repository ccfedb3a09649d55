import { buildOpenApiDocument, type OpenApiDocument } from '../openapi/document.js';
import { renderDocsPage } from '../openapi/docs-page.js';
import { defineRoute } from '../define-route.js';
import type { ApiRoute, RouteDeclaration } from '../route.js';
import { OpenApiDocumentBody } from '../schemas/operations.js';

// The page has no script and loads nothing: a policy that allows only its inline style says so.
const DOCS_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
};

/** One document per list of routes, shared by the two routes that show it and by every app mounting the same list. */
const documents = new WeakMap<readonly RouteDeclaration[], OpenApiDocument>();

function documentOf(api: readonly RouteDeclaration[]): OpenApiDocument {
  let document = documents.get(api);
  if (!document) documents.set(api, (document = buildOpenApiDocument(api)));
  return document;
}

/** Open like /health: the document describes the API, not its data. */
export const docsRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'get', path: '/openapi.json', tag: 'Operations', access: 'open', summary: 'This API as an OpenAPI 3.1 document',
      responses: { 200: { description: 'The document', schema: OpenApiDocumentBody } },
    },
    (_deps, api) => {
      const document = documentOf(api);
      return (c) => c.json(document, 200);
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/docs', tag: 'Operations', access: 'open', summary: 'This API as a readable page',
      responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    },
    (_deps, api) => {
      // Rendered when first asked for: most apps (every test's) never are.
      let page: string | undefined;
      return (c) => c.html((page ??= renderDocsPage(documentOf(api))), 200, DOCS_HEADERS);
    },
  ),
];
