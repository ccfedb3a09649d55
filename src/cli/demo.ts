import { DEMO_SESSIONS, runDemo } from '../demo/run-demo.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { serveUntilSignal } from './signals.js';

export const demoCommand: Command = {
  name: 'demo',
  forms: [{ synopsis: 'demo', summary: ['serve with a built-in synthetic source (Quick start)'] }],
  details: `\`serve\` with a built-in synthetic source: a local Napster-shaped API serving ${DEMO_SESSIONS.toLocaleString('en')} generated
sessions, pulled through the real sync pipeline into indexes prefixed demo_. Stop with Ctrl+C.`,
  prepare(args) {
    parseCommandArgs(args, {}, { positionals: false });
    return ({ config, log, io, stopExitingOnSignal }) => serveUntilSignal(() => runDemo(config, log, io), log, stopExitingOnSignal);
  },
};
