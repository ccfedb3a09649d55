import { z } from 'zod';
import { AppError, BadRequestError, type ErrorCode } from '../../errors.js';
import { deleteSession } from '../../ingest/delete.js';
import { intakeRecords, type RefusalReason } from '../../ingest/intake.js';
import { booleanText, one } from '../../query-params.js';
import { MAX_QUERY_CHARS } from '../../search/params.js';
import { withHtmlTurnHighlights } from '../highlights.js';
import { findSession, getSession } from '../../search/sessions.js';
import { defineRoute } from '../define-route.js';
import type { ApiRoute } from '../route.js';
import { PushResult, SessionDeleted, SessionDetail } from '../schemas/sessions.js';

/** Sessions accepted in one push; larger exports belong to `transcript-search import`. */
export const MAX_PUSHED_SESSIONS = 5_000;

export const SessionQuery = z.object({
  q: one('q', z.string().max(MAX_QUERY_CHARS, `Parameter 'q' is longer than ${MAX_QUERY_CHARS} characters`))
    .default('')
    .describe('Search text as in /v1/search/turns: each turn that matches it gets a `highlight`'),
});

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
  expired: 'bad_request',
};

export const sessionRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'get', path: '/v1/sessions/:id', tag: 'Sessions', access: 'search', query: SessionQuery, params: { id: SessionId },
      summary: "One session with all its turns in order (404 outside the key's scope)",
      responses: { 200: { description: 'The session and its `turns`', schema: SessionDetail } },
    },
    (deps) => async (c, { caller, params, query }) => c.json(withHtmlTurnHighlights(await getSession(deps, params.id, caller, query.q)), 200),
  ),
  defineRoute(
    {
      method: 'post', path: '/v1/sessions', tag: 'Sessions', access: 'admin', query: PushQuery,
      summary: 'Push sessions',
      body: `One session or an array of up to ${MAX_PUSHED_SESSIONS}, in either vendor shape (Napster or agent sessions), detected per record`,
      responses: { 202: { description: 'How many were written, and which records were not and why', schema: PushResult } },
      // One session pushed alone and refused answers with the status of its reason: 409 for a forgotten client.
      errors: [409],
    },
    (deps) => async (c, { caller, query }) => {
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
      const result = await intakeRecords(deps.ingest, records.map((record, index) => ({ record, origin: index })), { scope: caller, wait: query.wait, duplicates: 'refuse' });
      // One session pushed and refused: the status says why, as it would for any single resource.
      const [only] = result.refused;
      if (!Array.isArray(body) && only) throw new AppError(REFUSAL_CODES[only.reason], only.error);
      const rejected = result.refused.map(({ origin, error }) => ({ index: origin, error })).sort((a, b) => a.index - b.index);
      deps.metrics.redacted(result.redactions, 'push');
      return c.json({ accepted: result.sessions, rejected, redactions: result.redactions }, 202);
    },
  ),
  defineRoute(
    {
      method: 'delete', path: '/v1/sessions/:id', tag: 'Sessions', access: 'admin', params: { id: SessionId },
      summary: 'Delete a session and its turns',
      responses: { 200: { description: 'How many documents went', schema: SessionDeleted } },
    },
    (deps) => async (c, { caller, params }) => {
      // Found by its exact id and checked against the scope in code before anything is deleted.
      await findSession(deps, params.id, caller);
      const { taskUids: _tasks, ...deleted } = await deleteSession(deps.engine, deps.names, params.id);
      return c.json({ deleted }, 200);
    },
  ),
];
