import type { Hono } from 'hono';
import { z } from 'zod';
import { AppError, BadRequestError } from '../../errors.js';
import { rejectUnknown } from '../../search/params.js';
import { queryArrays, requireUnscopedAdmin, type AppDeps, type AppEnv } from '../app.js';

// Sync status and passes span every companion: a key limited to some may neither see nor start them.
export function registerSyncRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/v1/sync', async (c) => {
    requireUnscopedAdmin(c.get('caller'));
    if (!deps.sync) return c.json({ sources: [] });
    return c.json(await deps.sync.status());
  });

  // Starts a pass and answers at once; progress and results are in GET /v1/sync.
  app.post('/v1/sync', async (c) => {
    requireUnscopedAdmin(c.get('caller'));
    const query = queryArrays(c);
    rejectUnknown(query, ['source', 'full']);
    const source = query.source?.[0];
    const full = query.full?.[0];
    if (source !== undefined && !z.enum(['napster', 'agents']).safeParse(source).success) {
      throw new BadRequestError(`Invalid 'source': expected napster or agents`);
    }
    if (full !== undefined && full !== 'true' && full !== 'false') throw new BadRequestError(`Invalid 'full': expected true or false`);
    const sync = deps.sync;
    if (!sync || sync.sourceNames.length === 0) throw new AppError('bad_request', 'No source is configured (set NAPSTER_API_KEY or AGENTS_API_KEY and AGENTS_BASE_URL)');
    const selected = source as 'napster' | 'agents' | undefined;
    if (selected && !sync.sourceNames.includes(selected)) throw new BadRequestError(`Source '${selected}' is not configured`);
    sync.run({ source: selected, full: full === 'true' }).catch((error) => deps.log.error('sync failed', { error: String(error) }));
    return c.json({ started: selected ? [selected] : sync.sourceNames }, 202);
  });
}
