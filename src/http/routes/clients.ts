import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import { forgetClient } from '../../ingest/forget-client.js';
import { scopeOf } from '../../model.js';
import { NoQuery } from '../../query-params.js';
import { defineRoute } from '../define-route.js';
import type { ApiRoute } from '../route.js';
import { ClientReenabled, ForgetResult, ForgottenClientList } from '../schemas/clients.js';

const ClientId = z.string().describe('External client id');

/**
 * Forgetting a client, and the operator's way back. An admin key with a scope forgets the client
 * within it only, and its answer shows only its own forget; re-enabling and listing span every scope,
 * so they need an admin key without one.
 */
export const clientRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'delete', path: '/v1/clients/:externalClientId', tag: 'Clients', access: 'admin', query: NoQuery, params: { externalClientId: ClientId },
      summary: 'Forget a client: delete its sessions and turns, and refuse them from sync, import and push until re-enabled',
      responses: { 200: { description: 'What was deleted, and the forget recorded', schema: ForgetResult } },
    },
    (deps) => async (c, { caller, params }) => c.json(await forgetClient(deps.ingest, params.externalClientId, { scope: scopeOf(caller), by: caller.name }), 200),
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/forgotten-clients', tag: 'Clients', query: NoQuery,
      access: { level: 'unscoped-admin', reason: 'The forgotten-clients list spans every scope' },
      summary: 'Forgotten clients',
      responses: { 200: { description: 'Every forgotten client', schema: ForgottenClientList } },
    },
    (deps) => async (c) => c.json({ clients: await deps.ingest.forgotten.list() }, 200),
  ),
  defineRoute(
    {
      method: 'delete', path: '/v1/forgotten-clients/:externalClientId', tag: 'Clients', query: NoQuery, params: { externalClientId: ClientId },
      access: { level: 'unscoped-admin', reason: 'Re-enabling a forgotten client spans every scope' },
      summary: 'Re-enable a forgotten client (restores nothing; the next sync brings back what the source has)',
      responses: { 200: { description: 'The client is accepted again', schema: ClientReenabled } },
    },
    // Re-enables ingestion only: what was deleted stays deleted until the next sync, push or import.
    (deps) => async (c, { params: { externalClientId } }) => {
      const removed = await deps.ingest.forgotten.remove(externalClientId);
      if (!removed) throw new NotFoundError(`Client '${externalClientId.slice(0, 100)}' is not forgotten`);
      return c.json({ externalClientId, reenabled: true as const, forgotten: removed }, 200);
    },
  ),
];
