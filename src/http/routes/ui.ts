import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defineRoute } from '../define-route.js';
import type { ApiRoute } from '../route.js';

/**
 * The search page at `/` and the trackers page at `/trackers`: static files (the pages, their style,
 * and their script as a few ES modules, some shared), read once at start. The same relative path
 * reaches `public/` from `src/http/routes` (tsx) and from `dist/http/routes` (built).
 */
const PUBLIC_DIR = new URL('../../../public/', import.meta.url);

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'trackers.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'conditions.js': 'text/javascript; charset=utf-8',
  'facets.js': 'text/javascript; charset=utf-8',
  'hits.js': 'text/javascript; charset=utf-8',
  'session.js': 'text/javascript; charset=utf-8',
  'tracker-parts.js': 'text/javascript; charset=utf-8',
  'trackers.js': 'text/javascript; charset=utf-8',
  'util.js': 'text/javascript; charset=utf-8',
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

type Asset = { body: Buffer; type: string };

/** Read when the first app mounts the page, and kept: they are part of the package. */
let assets: ReadonlyMap<string, Asset> | undefined;

function loadAssets(): ReadonlyMap<string, Asset> {
  assets ??= new Map(Object.entries(ASSETS).map(([name, type]) => [name, { body: readFileSync(new URL(name, PUBLIC_DIR)), type }]));
  return assets;
}

function serve({ body, type }: Asset): Response {
  return new Response(body, { headers: { 'content-type': type, 'cache-control': 'no-cache', ...SECURITY_HEADERS } });
}

export const uiRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'get', path: '/', tag: 'Page', access: 'open',
      summary: 'The search page (it calls this API with the key it is given)',
      responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    },
    () => {
      const page = loadAssets().get('index.html')!;
      return () => serve(page);
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/trackers', tag: 'Page', access: 'open',
      summary: "The trackers page: each tracker's recent counts and trend, its matches, deliveries, and changes to it",
      responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    },
    () => {
      const page = loadAssets().get('trackers.html')!;
      return () => serve(page);
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/ui/:file', tag: 'Page', access: 'open', summary: 'Script and style of the pages',
      // Any other name is a 404, as for any file that is not there.
      params: {
        file: z.string().describe('`style.css`, or a module of the pages: `app.js`, `conditions.js`, `facets.js`, `hits.js`, `session.js`, `tracker-parts.js`, `trackers.js`, `util.js`'),
      },
      responses: { 200: { description: 'JavaScript or CSS', contentType: ['text/javascript', 'text/css'] } },
    },
    () => {
      const files = loadAssets();
      return (c, { params: { file } }) => {
        // The pages have their own paths.
        const asset = file.endsWith('.html') ? undefined : files.get(file);
        return asset ? serve(asset) : c.notFound();
      };
    },
  ),
];
