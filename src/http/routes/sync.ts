import type { Hono } from 'hono';
import { z } from 'zod';
import { AppError, BadRequestError } from '../../errors.js';
import { booleanText, one, parseQuery } from '../../query-params.js';
import { queryArrays } from '../query.js';
import { requireUnscopedAdmin } from '../auth.js';
import type { AppDeps, AppEnv } from '../env.js';
import type { Operation } from '../openapi/operation.js';

export const StartSyncQuery = z.object({
  source: one('source', z.enum(['napster', 'agents'], { error: `Invalid 'source': expected napster or agents` }))
    .optional()
    .describe('Only this source (default: every configured one)'),
  full: one('full', booleanText('full')).default(false).describe('Also remove indexed sessions the source no longer has'),
});

export const syncOperations: Operation[] = [
  {
    method: 'get', path: '/v1/sync', tag: 'Sync', access: 'unscoped-admin',
    summary: 'Per-source sync status: last run, counts, watermark, last error, skipped sessions with reasons',
    success: { status: 200, description: '`{"sources":[...]}`' },
  },
  {
    method: 'post', path: '/v1/sync', tag: 'Sync', access: 'unscoped-admin', query: StartSyncQuery,
    summary: 'Start a sync pass; progress and results are in GET /v1/sync',
    success: { status: 202, description: '`{"started":["napster",...]}`' },
  },
];

// Sync status and passes span every companion: a key limited to some may neither see nor start them.
export function registerSyncRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/v1/sync', async (c) => {
    requireUnscopedAdmin(c.get('caller'), 'Sync status spans every companion, tenant and client');
    if (!deps.sync) return c.json({ sources: [] });
    return c.json(await deps.sync.status());
  });

  // Starts a pass and answers at once; progress and results are in GET /v1/sync.
  app.post('/v1/sync', async (c) => {
    requireUnscopedAdmin(c.get('caller'), 'Sync passes write every companion, tenant and client');
    const { source: selected, full } = parseQuery(StartSyncQuery, queryArrays(c));
    const sync = deps.sync;
    if (!sync || sync.sourceNames.length === 0) throw new AppError('bad_request', 'No source is configured (set NAPSTER_API_KEY or AGENTS_API_KEY and AGENTS_BASE_URL)');
    if (selected && !sync.sourceNames.includes(selected)) throw new BadRequestError(`Source '${selected}' is not configured`);
    sync.run({ source: selected, full }).catch((error) => deps.log.error('sync failed', { error: String(error) }));
    return c.json({ started: selected ? [selected] : sync.sourceNames }, 202);
  });
}
