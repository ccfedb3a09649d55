import type { Hono } from 'hono';
import { z } from 'zod';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { deleteSession } from '../../ingest/delete.js';
import { filterForgotten, refusalReason } from '../../ingest/forgotten.js';
import { writeSessions } from '../../ingest/index-writer.js';
import type { Session } from '../../model.js';
import { parseVendorSession } from '../../sources/detect.js';
import { getSession } from '../../search/sessions.js';
import { booleanText, NoQuery, one, parseQuery } from '../../query-params.js';
import { queryArrays, requireAdmin, type AppDeps, type AppEnv } from '../app.js';
import type { Operation } from '../openapi/operation.js';

/** Sessions accepted in one push; larger exports belong to `transcript-search import`. */
export const MAX_PUSHED_SESSIONS = 5_000;

export const PushQuery = z.object({
  wait: one('wait', booleanText('wait')).default(false).describe('Answer only once the sessions are searchable'),
});

const SessionId = z.string().describe('Session id');

export const sessionOperations: Operation[] = [
  {
    method: 'get', path: '/v1/sessions/:id', tag: 'Sessions', access: 'search', query: NoQuery, params: { id: SessionId },
    summary: 'One session with all its turns in order (404 outside the key\'s companions)',
    success: { status: 200, description: 'The session and its `turns`' },
  },
  {
    method: 'post', path: '/v1/sessions', tag: 'Sessions', access: 'admin', query: PushQuery,
    summary: 'Push sessions',
    body: `One session or an array of up to ${MAX_PUSHED_SESSIONS}, in either vendor shape (Napster or agent sessions), detected per record`,
    success: { status: 202, description: '`{"accepted":N,"rejected":[{"index":i,"error":"..."}]}`' },
  },
  {
    method: 'delete', path: '/v1/sessions/:id', tag: 'Sessions', access: 'admin', params: { id: SessionId },
    summary: 'Delete a session and its turns',
    success: { status: 200, description: '`{"deleted":{"sessions":N,"turns":N}}`' },
  },
];

export function registerSessionRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/v1/sessions/:id', async (c) => {
    parseQuery(NoQuery, queryArrays(c));
    return c.json(await getSession(deps, c.req.param('id'), c.get('caller')));
  });

  app.post('/v1/sessions', async (c) => {
    const caller = c.get('caller');
    requireAdmin(caller);
    const { wait } = parseQuery(PushQuery, queryArrays(c));
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw new BadRequestError('Body is not valid JSON: send one session object or an array of them');
    }
    const records = Array.isArray(body) ? body : [body];
    if (records.length > MAX_PUSHED_SESSIONS) {
      throw new BadRequestError(`At most ${MAX_PUSHED_SESSIONS} sessions per request, got ${records.length}`);
    }
    const valid: Array<{ session: Session; index: number }> = [];
    const rejected: Array<{ index: number; error: string }> = [];
    const ids = new Set<string>();
    records.forEach((record, index) => {
      try {
        const session = parseVendorSession(record);
        if (caller.companions && !caller.companions.includes(session.companionId ?? '')) {
          rejected.push({ index, error: 'companion outside this key\'s scope' });
        } else if (ids.has(session.sessionId)) {
          rejected.push({ index, error: `session ${session.sessionId} appears twice in this request` });
        } else {
          ids.add(session.sessionId);
          valid.push({ session, index });
        }
      } catch (error) {
        rejected.push({ index, error: (error as Error).message });
      }
    });
    const refused = new Set((await filterForgotten(deps.engine, deps.names, valid.map(({ session }) => session))).refused);
    const accepted: Session[] = [];
    for (const { session, index } of valid) {
      if (refused.has(session)) rejected.push({ index, error: refusalReason(session.externalClientId) });
      else accepted.push(session);
    }
    rejected.sort((a, b) => a.index - b.index);
    if (accepted.length > 0) await writeSessions(deps.engine, deps.names, accepted, { wait });
    return c.json({ accepted: accepted.length, rejected }, 202);
  });

  app.delete('/v1/sessions/:id', async (c) => {
    const caller = c.get('caller');
    requireAdmin(caller);
    const sessionId = c.req.param('id');
    const deleted = await deleteSession(deps.engine, deps.names, sessionId, caller);
    if (deleted.sessions === 0 && deleted.turns === 0) throw new NotFoundError(`No session '${sessionId.slice(0, 100)}'`);
    return c.json({ deleted });
  });
}
