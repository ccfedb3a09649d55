import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { CliIo } from './io.js';

/** What a command runs with, once its arguments are checked and the configuration is read. */
export type CommandContext = {
  config: Config;
  log: Logger;
  io: CliIo;
  /** Removes the exit-at-once signal handling, for a command that stops gracefully (signals.ts). */
  stopExitingOnSignal: () => void;
};

/** One way to call a command, as the overview lists it: `sync [--source napster|agents] [--full]`. */
export type CommandForm = { synopsis: string; summary?: readonly string[] };

export type Command = {
  readonly name: string;
  readonly forms: readonly CommandForm[];
  /** What `transcript-search <command> --help` prints below the forms. */
  readonly details: string;
  /**
   * Checks the arguments, throwing UsageError, before the configuration is read or anything starts;
   * returns the run, which answers the exit code.
   */
  prepare(args: string[]): (context: CommandContext) => Promise<number>;
};
