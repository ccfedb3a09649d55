import { createSnapshot } from '../engine/snapshot.js';
import { connectEngine } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';

export const snapshotCommand: Command = {
  name: 'snapshot',
  forms: [{ synopsis: 'snapshot', summary: ["snapshot the engine's database (restore: see README); prints where it is"] }],
  details: `Asks the engine for a snapshot of its whole database and waits for it; prints
{"taskUid","status","durationMs","file","where"}. Needs the master key (MEILI_MASTER_KEY, or the
embedded engine's) or a MEILI_API_KEY allowed snapshots.create.`,
  prepare(args) {
    parseCommandArgs(args, {}, { positionals: false });
    return async ({ config, io }) => {
      const connection = await connectEngine(config);
      try {
        io.stdout(`${JSON.stringify(await createSnapshot(connection))}\n`);
        return 0;
      } finally {
        await connection.close();
      }
    };
  },
};
