import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

export type OptionsSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * A command's arguments, strictly. Node's own parse errors name the option inside advice of several
 * lines; ours are one line naming it: an option the command does not take, one missing its value or
 * given a value it takes none of, and any positional argument where the command takes none.
 */
export function parseCommandArgs<const Options extends OptionsSpec>(args: string[], options: Options, { positionals }: { positionals: boolean }) {
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional' && !positionals) throw new UsageError(`Unexpected argument '${token.value}'`);
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (!option) throw new UsageError(`Unknown option '${token.rawName}'`);
    if (option.type === 'boolean' && token.inlineValue) throw new UsageError(`Option '${token.rawName}' takes no value`);
    // Read loosely, `--source --full` takes `--full` for the value; read strictly, it is ambiguous.
    if (option.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) {
      throw new UsageError(`Option '${token.rawName}' needs a value`);
    }
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: positionals });
  } catch (error) {
    // The checks above leave nothing for the strict parse to refuse; should they miss a case, it is still a usage error.
    throw new UsageError((error as Error).message.split('\n')[0]!, { cause: error });
  }
}

/** `--help` or `-h` anywhere before a `--`, whatever else the arguments hold: help is never refused. */
export function asksForHelp(args: string[]): boolean {
  const { tokens } = parseArgs({ args, strict: false, allowPositionals: true, tokens: true });
  return tokens.some((token) => token.kind === 'option' && (token.name === 'help' || token.name === 'h'));
}
