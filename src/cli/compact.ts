import { indexNames } from '../engine/indexes.js';
import { connectEngine } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';

const COMPACTION_UNSUPPORTED =
  'this engine cannot compact indexes (Meilisearch 1.23 added it); to rewrite the database without what deleted documents left behind, export a dump (POST /dumps) and start an empty engine with --import-dump (README: Forgetting a client)';

export const compactCommand: Command = {
  name: 'compact',
  forms: [
    {
      synopsis: 'compact',
      summary: ['rewrite the indexes without what deleted documents left on disk (forgotten', "clients' text), where the engine can (Meilisearch 1.23 and later)"],
    },
  ],
  details: `Rewrites this service's indexes one by one and prints {"compacted":[index uids]}; on an engine
that cannot, {"compacted":[],"reason"} and exit 0.`,
  prepare(args) {
    parseCommandArgs(args, {}, { positionals: false });
    return async ({ config, io }) => {
      const connection = await connectEngine(config);
      try {
        const names = indexNames(config.indexPrefix);
        const compacted: string[] = [];
        for (const uid of [names.turns, names.sessions, names.state]) {
          const task = await connection.client.compactIndex(uid);
          if (task === undefined) {
            io.stdout(`${JSON.stringify({ compacted: [], reason: COMPACTION_UNSUPPORTED })}\n`);
            return 0;
          }
          await connection.client.waitForTask(task, { timeoutMs: 6 * 3_600_000 });
          compacted.push(uid);
        }
        io.stdout(`${JSON.stringify({ compacted })}\n`);
        return 0;
      } finally {
        await connection.close();
      }
    };
  },
};
