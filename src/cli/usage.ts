import type { Command } from './command.js';

const PROGRAM = 'transcript-search';
/** Where summaries start in the overview; a longer synopsis puts its summary on the next line. */
const SUMMARY_COLUMN = 32;

/** `transcript-search <command>` with no command, or with --help: every command's forms. */
export function overview(commands: readonly Command[]): string {
  const lines = [`Usage: ${PROGRAM} <command>`, '', 'Commands:'];
  for (const { synopsis, summary = [] } of commands.flatMap((command) => command.forms)) {
    const [first, ...rest] = summary;
    const head = `  ${synopsis}`;
    if (first === undefined) lines.push(head);
    else if (head.length < SUMMARY_COLUMN) lines.push(`${head.padEnd(SUMMARY_COLUMN)}${first}`);
    else lines.push(head, `${' '.repeat(SUMMARY_COLUMN)}${first}`);
    for (const line of rest) lines.push(`${' '.repeat(SUMMARY_COLUMN)}${line}`);
  }
  lines.push(
    '',
    `'${PROGRAM} <command> --help' explains a command; '${PROGRAM} --version' prints the version.`,
    'Configuration is read from the environment; see README.md.',
  );
  return lines.join('\n');
}

/** `transcript-search <command> --help`. */
export function commandHelp(command: Command): string {
  const [first, ...others] = command.forms.map((form) => `${PROGRAM} ${form.synopsis}`);
  return [`Usage: ${first}`, ...others.map((form) => `       ${form}`), '', command.details].join('\n');
}

/** The command's forms on one line, for a usage error. */
export function usageLine(command: Command): string {
  return command.forms.map((form) => `${PROGRAM} ${form.synopsis}`).join(' | ');
}
