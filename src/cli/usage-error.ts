/** The command line asks for something the command does not take: exit 64, with the command's usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}
