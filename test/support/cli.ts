import { spawn } from 'node:child_process';
import path from 'node:path';

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Runs the built CLI (`dist/main.js`) as a user would, with only PATH and `env` in its environment. */
export function runBuiltCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('dist/main.js'), ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
