import { z } from 'zod';
import { AppError, BadRequestError } from '../../errors.js';
import { booleanText, one } from '../../query-params.js';
import type { LeaseView } from '../../engine/lease.js';
import { SOURCE_CHOICES, SOURCE_NAMES, SOURCE_SETUP_HINT, type SourceName } from '../../sources/registry.js';
import { defineRoute } from '../define-route.js';
import type { ApiRoute } from '../route.js';
import { SyncStarted, SyncStatus } from '../schemas/sync.js';

export const StartSyncQuery = z.object({
  source: one('source', z.enum(SOURCE_NAMES, { error: `Invalid 'source': expected ${SOURCE_CHOICES}` }))
    .optional()
    .describe('Only this source (default: every configured one)'),
  full: one('full', booleanText('full')).default(false).describe('Also remove indexed sessions the source no longer has'),
});

// Sync status and passes span every companion: a key limited to some may neither see nor start them.
export const syncRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'get', path: '/v1/sync', tag: 'Sync',
      access: { level: 'unscoped-admin', reason: 'Sync status spans every companion, tenant and client' },
      summary: 'Per-source sync status: last run, counts, watermark, last error, skipped sessions with reasons',
      responses: { 200: { description: 'One status per configured source', schema: SyncStatus } },
    },
    (deps) => async (c) => c.json(deps.sync ? await deps.sync.status() : { sources: [], retention: null }, 200),
  ),
  defineRoute(
    {
      method: 'post', path: '/v1/sync', tag: 'Sync', query: StartSyncQuery,
      access: { level: 'unscoped-admin', reason: 'Sync passes write every companion, tenant and client' },
      summary: 'Start a sync pass; progress and results are in GET /v1/sync',
      responses: {
        202: { description: 'The sources whose pass started (or was already running), and those another process is syncing', schema: SyncStarted },
      },
    },
    // Starts a pass and answers at once; a source another process holds is left to it.
    (deps) => async (c, { query: { source: selected, full } }) => {
      const sync = deps.sync;
      if (!sync || sync.sourceNames.length === 0) throw new AppError('bad_request', `No source is configured: ${SOURCE_SETUP_HINT}`);
      if (selected && !sync.sourceNames.includes(selected)) throw new BadRequestError(`Source '${selected}' is not configured`);
      const started: SourceName[] = [];
      const heldElsewhere: Array<{ source: SourceName; lease: LeaseView }> = [];
      for (const source of selected ? [selected] : sync.sourceNames) {
        const lease = await sync.heldElsewhere(source);
        if (lease) heldElsewhere.push({ source, lease });
        else started.push(source);
      }
      for (const source of started) sync.run({ source, full }).catch((error) => deps.log.error('sync failed', { error: String(error) }));
      return c.json({ started, heldElsewhere }, 202);
    },
  ),
];
