import type { Hono } from 'hono';
import { NotFoundError } from '../../errors.js';
import { forgetClient } from '../../ingest/forget-client.js';
import { ForgottenClients } from '../../ingest/forgotten.js';
import { rejectUnknown } from '../../search/params.js';
import { queryArrays, requireAdmin, requireUnscopedAdmin, type AppDeps, type AppEnv } from '../app.js';

/**
 * Forgetting a client, and the operator's way back. An admin key limited to some companions forgets
 * the client within those only; re-enabling and listing span every companion, so they need an admin
 * key without companions.
 */
export function registerClientRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.delete('/v1/clients/:externalClientId', async (c) => {
    const caller = c.get('caller');
    requireAdmin(caller);
    rejectUnknown(queryArrays(c), []);
    const clientId = c.req.param('externalClientId');
    const result = await forgetClient(deps.engine, deps.names, clientId, { scope: caller, by: caller.name, onlyIfKnown: true });
    if (!result) throw new NotFoundError(`No sessions of client '${clientId.slice(0, 100)}'`);
    return c.json(result);
  });

  app.get('/v1/forgotten-clients', async (c) => {
    requireUnscopedAdmin(c.get('caller'));
    rejectUnknown(queryArrays(c), []);
    return c.json({ clients: await new ForgottenClients(deps.engine, deps.names).list() });
  });

  // Re-enables ingestion only: what was deleted stays deleted until the next sync, push or import.
  app.delete('/v1/forgotten-clients/:externalClientId', async (c) => {
    requireUnscopedAdmin(c.get('caller'));
    rejectUnknown(queryArrays(c), []);
    const clientId = c.req.param('externalClientId');
    const removed = await new ForgottenClients(deps.engine, deps.names).remove(clientId);
    if (!removed) throw new NotFoundError(`Client '${clientId.slice(0, 100)}' is not forgotten`);
    return c.json({ externalClientId: clientId, reenabled: true, forgotten: removed });
  });
}
