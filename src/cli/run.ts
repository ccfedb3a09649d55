import { loadConfig, type Config } from '../config.js';
import { AppError, errorMessage } from '../errors.js';
import { createLogger } from '../logger.js';
import { asksForHelp } from './args.js';
import type { Command, CommandContext } from './command.js';
import { compactCommand } from './compact.js';
import { demoCommand } from './demo.js';
import { forgetCommand } from './forget.js';
import { importCommand } from './import.js';
import type { CliIo } from './io.js';
import { searchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { exitOnSignal } from './signals.js';
import { snapshotCommand } from './snapshot.js';
import { syncCommand } from './sync.js';
import { UsageError } from './usage-error.js';
import { commandHelp, overview, usageLine } from './usage.js';
import { packageVersion } from './version.js';

/** In the order the overview lists them. */
const COMMANDS: readonly Command[] = [serveCommand, syncCommand, importCommand, searchCommand, forgetCommand, snapshotCommand, compactCommand, demoCommand];

/** sysexits.h: the command line was wrong (EX_USAGE), the configuration was (EX_CONFIG). */
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;

/**
 * Runs one command and returns the exit code. `env` is the only source of configuration. Help, the
 * version and argument checks come first, so they answer even when the configuration is invalid and
 * a wrong command line starts nothing.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((command) => command.name === args[0]) : undefined;
    io.stdout(`${topic ? commandHelp(topic) : overview(COMMANDS)}\n`);
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version') {
    io.stdout(`${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr.write(`Unknown command '${name}'.\n\n${overview(COMMANDS)}\n`);
    return EXIT_USAGE;
  }
  if (asksForHelp(args)) {
    io.stdout(`${commandHelp(command)}\n`);
    return 0;
  }
  let run: (context: CommandContext) => Promise<number>;
  try {
    run = command.prepare(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${error.message} (usage: ${usageLine(command)})\n`);
    return EXIT_USAGE;
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    io.stderr.write(`${errorMessage(error)}\n`);
    return EXIT_CONFIG;
  }
  const stopExitingOnSignal = exitOnSignal();
  try {
    return await run({ config, log: createLogger(config.logLevel), io, stopExitingOnSignal });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    io.stderr.write(`${errorMessage(error)}\n`);
    return error.code === 'config_invalid' ? EXIT_CONFIG : 1;
  } finally {
    stopExitingOnSignal();
  }
}
