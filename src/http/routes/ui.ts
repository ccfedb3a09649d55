import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env.js';
import type { Operation } from '../openapi/operation.js';

/**
 * The search page at `/`: three static files, read once at start. The same relative path reaches
 * `public/` from `src/http/routes` (tsx) and from `dist/http/routes` (built).
 */
const PUBLIC_DIR = new URL('../../../public/', import.meta.url);

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

// The page only ever loads its own files and calls its own API; highlights are inserted as HTML, so
// a policy without inline script is a second line of defence behind the API's escaping.
const SECURITY_HEADERS = {
  // Recordings play from the vendor's presigned URLs, on whatever host the vendor signs them for.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' https: http:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export const uiOperations: Operation[] = [
  {
    method: 'get', path: '/', tag: 'Page', access: 'open',
    summary: 'The search page (it calls this API with the key it is given)',
    success: { status: 200, description: 'HTML', contentType: 'text/html' },
  },
  {
    method: 'get', path: '/ui/:file', tag: 'Page', access: 'open', summary: 'Script and style of the search page',
    params: { file: z.enum(['app.js', 'style.css']) },
    success: { status: 200, description: 'JavaScript or CSS', contentType: 'text/plain' },
  },
];

export function registerUiRoutes(app: Hono<AppEnv>): void {
  const files = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { body: readFileSync(new URL(name, PUBLIC_DIR)), type }]));
  const serve = (name: string) => {
    const file = files.get(name)!;
    return new Response(file.body, { headers: { 'content-type': file.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS } });
  };
  app.get('/', () => serve('index.html'));
  app.get('/ui/:file', (c) => (files.has(c.req.param('file')) && c.req.param('file') !== 'index.html' ? serve(c.req.param('file')) : c.notFound()));
}
