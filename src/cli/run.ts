import { loadConfig, type Config } from '../config.js';
import { AppError, errorMessage, type ErrorCode } from '../errors.js';
import { createLogger } from '../logger.js';
import { asksForHelp } from './args.js';
import type { Command, CommandContext } from './command.js';
import { compactCommand } from './compact.js';
import { demoCommand } from './demo.js';
import { exportCommand } from './export.js';
import { forgetCommand } from './forget.js';
import { importCommand } from './import.js';
import type { CliIo } from './io.js';
import { redactCommand } from './redact.js';
import { searchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { exitOnSignal } from './signals.js';
import { snapshotCommand } from './snapshot.js';
import { syncCommand } from './sync.js';
import { trackersCommand } from './trackers.js';
import { UsageError } from './usage-error.js';
import { commandHelp, overview, usageLine } from './usage.js';
import { packageVersion } from './version.js';

/** In the order the overview lists them. */
const COMMANDS: readonly Command[] = [serveCommand, syncCommand, importCommand, searchCommand, exportCommand, trackersCommand, forgetCommand, redactCommand, snapshotCommand, compactCommand, demoCommand];

/**
 * sysexits.h: the command line was wrong (EX_USAGE), the configuration was (EX_CONFIG), something
 * the service needs is taken (EX_UNAVAILABLE: the API's port); any other failure is 1.
 */
const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;
const EXIT_CONFIG = 78;
// A bad request reaching here came from the command line (a tracker's search, a date), as a usage error would.
const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = { bad_request: EXIT_USAGE, config_invalid: EXIT_CONFIG, port_unavailable: EXIT_UNAVAILABLE };

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
  const log = createLogger(config.logLevel);
  const stopExitingOnSignal = exitOnSignal();
  try {
    return await run({ config, log, io, stopExitingOnSignal });
  } catch (error) {
    if (error instanceof AppError) {
      io.stderr.write(`${errorMessage(error)}\n`);
      return EXIT_BY_CODE[error.code] ?? 1;
    }
    // A bug: the user still gets one line, not a stack trace; LOG_LEVEL=debug shows where it happened.
    log.debug('unexpected error', { stack: error instanceof Error ? error.stack : undefined });
    io.stderr.write(`${name} failed unexpectedly: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    stopExitingOnSignal();
  }
}
