import { z } from 'zod';
import { BadRequestError } from '../../errors.js';
import { scopeIntersection, scopeOf, scopeWithin } from '../../model.js';
import { one, wholeNumber } from '../../query-params.js';
import { timeParam, trackerSearchRequest } from '../../search/params.js';
import { isoTime } from '../../search/present.js';
import { searchTurns } from '../../search/turns.js';
import type { DeliveryRecord } from '../../trackers/evaluate.js';
import { checkDefinition, trackerSearch, TrackerStore, type Tracker } from '../../trackers/store.js';
import { trackerTrend } from '../../trackers/trend.js';
import { engineUrlsOf } from '../../trackers/webhook-url.js';
import type { Caller } from '../api-keys.js';
import { defineRoute } from '../define-route.js';
import type { RouteDeps } from '../env.js';
import { withHtmlHighlights } from '../highlights.js';
import { readJsonBody } from '../json-body.js';
import type { ApiRoute } from '../route.js';
import { DeliveryLog, TrackerDeleted, TrackerList, TrackerMatches, TrackerTrend, TrackerUpdated, TrackerView, TrackerWithSecret } from '../schemas/trackers.js';

/*
 * Trackers (CONTRACT.md §4c): saved turn searches evaluated on every arrival (trackers/). Any key may
 * read the trackers within its scope, their matches and trends; admin keys make, change and delete
 * them and read their delivery logs. A tracker's webhook URL is shown to admin keys only: such URLs
 * often carry a credential of the receiver.
 */

const TrackerId = z.string().describe('Tracker id');

const Threshold = z.object({ sessionsPerDay: z.int('expected a whole number').min(1, 'expected a whole number from 1') }).strict();

const CreateBody = z
  .object({
    name: z.string('expected a string'),
    search: z.string('expected the query string of a /v1/search/turns search, such as "q=refund&role=user"'),
    webhookUrl: z.string('expected an http(s) URL or null').nullable().optional(),
    threshold: Threshold.nullable().optional(),
  })
  .strict();

const PatchBody = CreateBody.partial().extend({ rotateSecret: z.boolean('expected true or false').optional() }).strict();

const CREATE_EXPECTED = 'a JSON object {"name","search","webhookUrl"?,"threshold"?:{"sessionsPerDay":N}}';

const PageQuery = {
  page: one('page', wholeNumber('page', 1, 10_000)).default(1).describe('Page, from 1'),
  hitsPerPage: one('hitsPerPage', wholeNumber('hitsPerPage', 1, 100)).default(20).describe('Entries per page'),
};

const TrendQuery = z.object({
  interval: one('interval', z.enum(['day', 'week'], { error: `Invalid 'interval': expected day or week` })).default('day').describe('Bucket size: UTC days, or weeks from Monday'),
  from: timeParam('from', 'First day to show (ISO-8601 or Unix seconds); default: the first match'),
  to: timeParam('to', 'Last day to show; default: the last match'),
});

const DeliveriesQuery = z.object({
  ...PageQuery,
  status: one('status', z.enum(['pending', 'delivered', 'dead'], { error: `Invalid 'status': expected pending, delivered or dead` })).optional().describe('Only deliveries in this state'),
});

function view(tracker: Tracker, caller: Caller) {
  const { secret: _secret, webhookUrl, ...rest } = tracker;
  return { ...rest, hasWebhook: webhookUrl !== null, ...(caller.role === 'admin' ? { webhookUrl } : {}) };
}

/** The store on the API's own engine client (it holds nothing else): a request fails fast (503) while the engine is down. */
function trackers(deps: RouteDeps): TrackerStore {
  return new TrackerStore(deps.engine, deps.names);
}

export function engineUrls(deps: Pick<RouteDeps, 'engine' | 'publicEngineUrl'>): string[] {
  return engineUrlsOf(deps.engine.url, deps.publicEngineUrl);
}

export const trackerRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'post', path: '/v1/trackers', tag: 'Trackers', access: 'admin', body: CREATE_EXPECTED,
      summary: 'Make a tracker: a saved turn search evaluated on every new session, with an optional signed webhook',
      responses: { 201: { description: 'The tracker, with its webhook secret (shown only now)', schema: TrackerWithSecret } },
    },
    (deps) => async (c, { caller }) => {
      const body = await readJsonBody(c, CreateBody, CREATE_EXPECTED);
      const definition = await checkDefinition({ ...body, webhookUrl: body.webhookUrl ?? null, threshold: body.threshold ?? null }, engineUrls(deps));
      const tracker = await trackers(deps).create(
        definition,
        scopeOf(caller),
        caller.name,
      );
      return c.json({ ...view(tracker, caller), secret: tracker.secret }, 201);
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/trackers', tag: 'Trackers', access: 'search',
      summary: "Every tracker within the key's scope, oldest first",
      responses: { 200: { description: 'The trackers', schema: TrackerList } },
    },
    (deps) => async (c, { caller }) => {
      const all = await trackers(deps).list();
      return c.json({ trackers: all.filter((tracker) => scopeWithin(tracker.scope, caller)).map((tracker) => view(tracker, caller)) }, 200);
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/trackers/:id', tag: 'Trackers', access: 'search', params: { id: TrackerId },
      summary: 'One tracker',
      responses: { 200: { description: 'The tracker', schema: TrackerView } },
    },
    (deps) => async (c, { caller, params }) => c.json(view(await trackers(deps).get(params.id, caller), caller), 200),
  ),
  defineRoute(
    {
      method: 'patch', path: '/v1/trackers/:id', tag: 'Trackers', access: 'admin', params: { id: TrackerId },
      body: 'Any of name, search, webhookUrl (null removes it), threshold (null removes it), and rotateSecret: true for a new secret',
      summary: 'Change a tracker',
      responses: { 200: { description: 'The tracker; with `secret` when it was rotated', schema: TrackerUpdated } },
    },
    (deps) => async (c, { caller, params }) => {
      const tracker = await trackers(deps).get(params.id, caller);
      const body = await readJsonBody(c, PatchBody, 'a JSON object with any of name, search, webhookUrl, threshold, rotateSecret');
      const { rotateSecret, ...changes } = body;
      const updated = await trackers(deps).update(tracker, { ...(await checkDefinition(changes, engineUrls(deps))), rotateSecret });
      return c.json({ ...view(updated, caller), ...(rotateSecret ? { secret: updated.secret } : {}) }, 200);
    },
  ),
  defineRoute(
    {
      method: 'delete', path: '/v1/trackers/:id', tag: 'Trackers', access: 'admin', params: { id: TrackerId },
      summary: 'Delete a tracker, its match records and its deliveries (pending ones are not sent)',
      responses: { 200: { description: 'Deleted', schema: TrackerDeleted } },
    },
    (deps) => async (c, { caller, params }) => {
      await trackers(deps).remove(await trackers(deps).get(params.id, caller));
      return c.json({ id: params.id, deleted: true as const }, 200);
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/trackers/:id/matches', tag: 'Trackers', access: 'search', params: { id: TrackerId }, query: z.object(PageQuery),
      summary: "Every turn the tracker's search matches, history included, newest first",
      responses: { 200: { description: 'A page of turn hits', schema: TrackerMatches } },
    },
    (deps) => async (c, { caller, params, query }) => {
      const tracker = await trackers(deps).get(params.id, caller);
      const page = withHtmlHighlights(await searchTurns(deps, trackerSearchRequest(trackerSearch(tracker), query), scopeIntersection(tracker.scope, caller)));
      return c.json({ hits: page.hits, totalHits: page.totalHits, page: page.page, hitsPerPage: page.hitsPerPage, totalPages: page.totalPages }, 200);
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/trackers/:id/trend', tag: 'Trackers', access: 'search', params: { id: TrackerId }, query: TrendQuery,
      summary: "Matching turns and sessions per UTC day or week, over the tracker's whole history",
      responses: { 200: { description: 'One bucket per day or week, empty ones included', schema: TrackerTrend } },
    },
    (deps) => async (c, { caller, params, query }) => {
      const tracker = await trackers(deps).get(params.id, caller);
      if (query.from !== undefined && query.to !== undefined && query.from > query.to) throw new BadRequestError(`Invalid 'from': it is after 'to'`);
      return c.json(await trackerTrend(deps, tracker, query, scopeIntersection(tracker.scope, caller)), 200);
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/trackers/:id/deliveries', tag: 'Trackers', access: 'admin', params: { id: TrackerId }, query: DeliveriesQuery,
      summary: "The tracker's webhook deliveries, newest first: pending, delivered and dead",
      responses: { 200: { description: 'A page of the delivery log', schema: DeliveryLog } },
    },
    (deps) => async (c, { caller, params, query }) => {
      const tracker = await trackers(deps).get(params.id, caller);
      const result = await deps.engine.search<Omit<DeliveryRecord, 'body'>>(deps.names.state, {
        // The id is lowercase hex (store.ts): the engine's loose equality cannot reach another tracker's records.
        filter: `kind = "delivery" AND trackerId = "${tracker.id}"${query.status ? ` AND status = "${query.status}"` : ''}`,
        sort: ['createdAt:desc'],
        attributesToRetrieve: ['id', 'type', 'status', 'attempts', 'createdAt', 'nextAttemptAt', 'lastAttemptAt', 'deliveredAt', 'lastStatus', 'lastError', 'matchCount', 'sessionIds'],
        page: query.page,
        hitsPerPage: query.hitsPerPage,
      });
      const ms = (value: number | null) => (value === null ? null : isoTime(value / 1000));
      const deliveries = result.hits.map((d) => ({
        id: d.id, type: d.type, status: d.status, attempts: d.attempts, createdAt: ms(d.createdAt)!, nextAttemptAt: d.status === 'pending' ? ms(d.nextAttemptAt) : null,
        lastAttemptAt: ms(d.lastAttemptAt), deliveredAt: ms(d.deliveredAt), lastStatus: d.lastStatus, lastError: d.lastError, matchCount: d.matchCount, sessionIds: d.sessionIds,
      }));
      return c.json({ deliveries, totalHits: result.totalHits ?? 0, page: result.page ?? query.page, hitsPerPage: result.hitsPerPage ?? query.hitsPerPage, totalPages: result.totalPages ?? 0 }, 200);
    },
  ),
];
