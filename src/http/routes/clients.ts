import type { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import { scopeOf } from '../../model.js';
import { forgetClient } from '../../ingest/forget-client.js';
import { ForgottenClients } from '../../ingest/forgotten.js';
import { NoQuery, parseQuery } from '../../query-params.js';
import { queryArrays } from '../query.js';
import { requireAdmin, requireUnscopedAdmin } from '../auth.js';
import type { AppDeps, AppEnv } from '../env.js';
import type { Operation } from '../openapi/operation.js';

const ClientId = z.string().describe('External client id');

export const clientOperations: Operation[] = [
  {
    method: 'delete', path: '/v1/clients/:externalClientId', tag: 'Clients', access: 'admin', query: NoQuery, params: { externalClientId: ClientId },
    summary: 'Forget a client: delete its sessions and turns, and refuse them from sync, import and push until re-enabled',
    success: { status: 200, description: 'What was deleted' },
  },
  {
    method: 'get', path: '/v1/forgotten-clients', tag: 'Clients', access: 'unscoped-admin', query: NoQuery,
    summary: 'Forgotten clients', success: { status: 200, description: '`{"clients":[...]}`' },
  },
  {
    method: 'delete', path: '/v1/forgotten-clients/:externalClientId', tag: 'Clients', access: 'unscoped-admin', query: NoQuery, params: { externalClientId: ClientId },
    summary: 'Re-enable a forgotten client (restores nothing; the next sync brings back what the source has)',
    success: { status: 200, description: '`{"externalClientId","reenabled":true,"forgotten"}`' },
  },
];

/**
 * Forgetting a client, and the operator's way back. An admin key with a scope forgets the client
 * within it only, and its answer shows only its own forget; re-enabling and listing span every scope,
 * so they need an admin key without one.
 */
export function registerClientRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.delete('/v1/clients/:externalClientId', async (c) => {
    const caller = c.get('caller');
    requireAdmin(caller);
    parseQuery(NoQuery, queryArrays(c));
    return c.json(await forgetClient(deps, c.req.param('externalClientId'), { scope: scopeOf(caller), by: caller.name }));
  });

  app.get('/v1/forgotten-clients', async (c) => {
    requireUnscopedAdmin(c.get('caller'), 'The forgotten-clients list spans every scope');
    parseQuery(NoQuery, queryArrays(c));
    return c.json({ clients: await new ForgottenClients(deps.engine, deps.names).list() });
  });

  // Re-enables ingestion only: what was deleted stays deleted until the next sync, push or import.
  app.delete('/v1/forgotten-clients/:externalClientId', async (c) => {
    requireUnscopedAdmin(c.get('caller'), 'Re-enabling a forgotten client spans every scope');
    parseQuery(NoQuery, queryArrays(c));
    const clientId = c.req.param('externalClientId');
    const removed = await new ForgottenClients(deps.engine, deps.names).remove(clientId);
    if (!removed) throw new NotFoundError(`Client '${clientId.slice(0, 100)}' is not forgotten`);
    return c.json({ externalClientId: clientId, reenabled: true, forgotten: removed });
  });
}
