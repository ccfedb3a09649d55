import { startServer } from '../serve.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { serveUntilSignal } from './signals.js';

export const serveCommand: Command = {
  name: 'serve',
  forms: [{ synopsis: 'serve', summary: ['API and periodic sync of configured sources'] }],
  details: `Serves the HTTP API on HOST:PORT and syncs the configured sources every SYNC_INTERVAL_SECONDS
(0: never). Ready when GET /ready answers 200. SIGTERM or SIGINT stops it gracefully: requests in
flight finish and a running sync checkpoints, then it exits 0.`,
  prepare(args) {
    parseCommandArgs(args, {}, { positionals: false });
    return ({ config, log, stopExitingOnSignal }) => serveUntilSignal(() => startServer(config, log), log, stopExitingOnSignal);
  },
};
