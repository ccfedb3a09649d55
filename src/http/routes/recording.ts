import { z } from 'zod';
import { AppError, NotFoundError, errorMessage } from '../../errors.js';
import { httpUrlOrNull } from '../../model.js';
import { booleanText, one } from '../../query-params.js';
import { findSession } from '../../search/sessions.js';
import { SourceHttpError } from '../../sources/http.js';
import { defineRoute } from '../define-route.js';
import type { ApiRoute } from '../route.js';
import { RecordingLink } from '../schemas/operations.js';

export const RecordingQuery = z.object({
  redirect: one('redirect', booleanText('redirect'))
    .default(true)
    .describe('`false`: answer `{"url"}` as JSON instead of redirecting (for pages, whose audio element cannot send an API key)'),
});

/**
 * `GET /v1/sessions/{id}/recording`: the vendor's detail is fetched now for a fresh presigned URL
 * ("Time-limited HTTPS URL … Refresh by re-fetching this endpoint"), after the same scope check as the
 * session itself. Only an http(s) URL is ever handed out.
 */
export const recordingRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'get', path: '/v1/sessions/:id/recording', tag: 'Sessions', access: 'search', query: RecordingQuery,
      params: { id: z.string().describe('Session id') },
      summary: 'Play the recording: a redirect to a freshly signed vendor URL (presigned URLs expire, so none is stored)',
      description: "404 when the session has no recording (or is outside the key's scope); 502/503 when the vendor fails.",
      responses: {
        200: { description: 'With `redirect=false`: the link', schema: RecordingLink },
        302: { description: 'Otherwise: a redirect to the link (`Location`)', redirect: true },
      },
      errors: [502],
    },
    (deps) => async (c, { caller, params: { id: sessionId }, query: { redirect } }) => {
      const session = await findSession(deps, sessionId, caller);
      if (!session.hasRecording) throw new NotFoundError(`Session '${sessionId.slice(0, 100)}' has no recording`);
      const vendor = deps.vendors?.[session.source];
      if (!vendor?.recordingUrl) {
        throw new AppError('source_unavailable', `The ${session.source} source is not configured here, so its recording cannot be fetched`);
      }
      let fresh: string | undefined;
      try {
        fresh = await vendor.recordingUrl(sessionId);
      } catch (error) {
        deps.log.warn('recording link failed', { requestId: c.get('requestId'), source: session.source, error: errorMessage(error) });
        if (error instanceof SourceHttpError && error.status === undefined) {
          throw new AppError('source_unavailable', `The ${session.source} API did not answer; try again later`);
        }
        throw new AppError('source_error', `The ${session.source} API could not give a recording link`);
      }
      if (fresh === undefined) throw new NotFoundError(`Session '${sessionId.slice(0, 100)}' has no recording`);
      const url = httpUrlOrNull(fresh);
      if (url === null) throw new AppError('source_error', `The ${session.source} API gave a recording link that is not http(s)`);
      c.header('cache-control', 'no-store');
      return redirect ? c.redirect(url, 302) : c.json({ url }, 200);
    },
  ),
];
