import type { Hono } from 'hono';
import { z } from 'zod';
import { AppError, BadRequestError, type ErrorCode } from '../../errors.js';
import { deleteSession } from '../../ingest/delete.js';
import { intakeRecords, type RefusalReason } from '../../ingest/intake.js';
import { findSession, getSession } from '../../search/sessions.js';
import { booleanText, NoQuery, one, parseQuery } from '../../query-params.js';
import { queryArrays } from '../query.js';
import { requireAdmin } from '../auth.js';
import type { AppDeps, AppEnv } from '../env.js';
import type { Operation } from '../openapi/operation.js';

/** Sessions accepted in one push; larger exports belong to `transcript-search import`. */
export const MAX_PUSHED_SESSIONS = 5_000;

export const PushQuery = z.object({
  wait: one('wait', booleanText('wait')).default(false).describe('Answer only once the sessions are searchable'),
});

const SessionId = z.string().describe('Session id');

const REFUSAL_CODES: Record<RefusalReason, ErrorCode> = {
  invalid: 'bad_request',
  too_large: 'payload_too_large',
  scope: 'forbidden',
  not_found: 'not_found',
  duplicate: 'bad_request',
  forgotten: 'conflict',
};

export const sessionOperations: Operation[] = [
  {
    method: 'get', path: '/v1/sessions/:id', tag: 'Sessions', access: 'search', query: NoQuery, params: { id: SessionId },
    summary: 'One session with all its turns in order (404 outside the key\'s scope)',
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
    const result = await intakeRecords(deps, records.map((record, index) => ({ record, origin: index })), { scope: caller, wait, duplicates: 'refuse' });
    // One session pushed and refused: the status says why, as it would for any single resource.
    const [only] = result.refused;
    if (!Array.isArray(body) && only) throw new AppError(REFUSAL_CODES[only.reason], only.error);
    const rejected = result.refused.map(({ origin, error }) => ({ index: origin, error })).sort((a, b) => a.index - b.index);
    return c.json({ accepted: result.sessions, rejected }, 202);
  });

  app.delete('/v1/sessions/:id', async (c) => {
    const caller = c.get('caller');
    requireAdmin(caller);
    const sessionId = c.req.param('id');
    // Found by its exact id and checked against the scope in code before anything is deleted.
    await findSession(deps, sessionId, caller);
    const { taskUids: _tasks, ...deleted } = await deleteSession(deps.engine, deps.names, sessionId);
    return c.json({ deleted });
  });
}
