import { AppError } from '../errors.js';
import { ingestDeps } from '../ingest/deps.js';
import { checkClientId, forgetClient } from '../ingest/forget-client.js';
import { openEngine } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { asUsage } from './search-options.js';
import { UsageError } from './usage-error.js';

export const forgetCommand: Command = {
  name: 'forget',
  forms: [
    {
      synopsis: 'forget CLIENT_ID',
      summary: ['delete every session and turn of that external client, and refuse', 'its sessions from then on (sync, import, push)'],
    },
    { synopsis: 'forget --undo CLIENT_ID', summary: ['re-enable a forgotten client: its sessions are accepted again'] },
    { synopsis: 'forget --list', summary: ['list forgotten clients'] },
  ],
  details: `Prints one JSON line: what was deleted, the client re-enabled, or the forgotten clients. The
client id is exact (a different case is a different client).

Exit: 0 done, 1 --undo of a client that is not forgotten, or a failure.`,
  prepare(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { undo: { type: 'boolean', default: false }, list: { type: 'boolean', default: false } },
      { positionals: true },
    );
    if (values.list ? values.undo || positionals.length > 0 : positionals.length !== 1) {
      throw new UsageError('forget needs exactly one CLIENT_ID (forget [--undo] CLIENT_ID), or --list alone');
    }
    const [clientId = ''] = positionals;
    if (!values.list) asUsage(() => checkClientId(clientId));
    return async ({ config, log, io }) => {
      // Listing only reads: it creates no index (runtime.ts, `read`).
      const engine = await openEngine(config, { read: values.list });
      try {
        const deps = ingestDeps({ engine: engine.client, names: engine.names, log });
        const store = deps.forgotten;
        if (values.list) {
          io.stdout(`${JSON.stringify({ clients: await store.list() })}\n`);
        } else if (values.undo) {
          const removed = await store.remove(clientId);
          if (!removed) throw new AppError('not_found', `Client '${clientId}' is not forgotten`);
          io.stdout(`${JSON.stringify({ externalClientId: clientId, reenabled: true, forgotten: removed })}\n`);
        } else {
          io.stdout(`${JSON.stringify(await forgetClient(deps, clientId, { by: 'cli' }))}\n`);
        }
        return 0;
      } finally {
        await engine.close();
      }
    };
  },
};
