import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI, as users run it; `npm run bench` builds it first (prebench). */
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

/** Only what the command needs: nothing of the caller's MEILI_* or source settings leaks in. */
export function cliEnv(vars: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...vars };
}

export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run the benchmark with \`npm run bench\`, which builds first`);
  // Executed as `npx transcript-search` executes it: through its shebang, with the runtime flags it sets.
  return spawn(CLI, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Keeps the tail of a stream for error messages without holding all of it. */
export function tail(stream: NodeJS.ReadableStream | null, maxChars = 4_000): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-maxChars);
  });
  return () => text;
}
