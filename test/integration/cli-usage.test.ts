import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';

/**
 * The built CLI explaining itself, as a process: help and the version answer even under an invalid
 * configuration; a wrong command line exits 64 with one line naming what is wrong and the command's
 * usage, before the configuration is read or anything starts; a half-configured source exits 78
 * naming the missing variable. MEILI_URL points at a closed port, so a command that got past its
 * checks would fail fast instead of starting an embedded engine.
 */
const COMMANDS = ['serve', 'sync', 'import', 'search', 'export', 'forget', 'redact', 'snapshot', 'compact', 'demo'];

/** The CLI as `main.ts` runs it, in this process: most cases need no process of their own. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (text: string) => void (stdout += text), stderr: { isTTY: false, write: (text: string) => ((stderr += text), true) } as unknown as NodeJS.WriteStream, out: process.stdout };
  const code = await runCli(args, { PATH: process.env.PATH, MEILI_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'error', ...env }, io);
  return { code, stdout, stderr };
}

/** The built CLI as a process, for what only a process shows: its exit status and streams. */
function cliProcess(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.resolve('dist/main.js'), ...args],
      { env: { PATH: process.env.PATH, MEILI_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'error', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('transcript-search help and version', () => {
  it('prints the package version with --version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await cliProcess(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each(COMMANDS)('answers `%s --help` with its usage, exit 0, even with an invalid configuration', async (command) => {
    const result = await cli([command, '--help'], { PORT: 'not-a-port' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: transcript-search ${command}\\b`));
    expect(result.stderr).toBe('');
  });

  it('takes -h and help COMMAND as --help', async () => {
    const help = (await cli(['forget', '--help'])).stdout;
    expect(help).toContain('transcript-search forget --undo CLIENT_ID');
    expect(await cli(['forget', '-h'])).toMatchObject({ code: 0, stdout: help });
    expect(await cli(['help', 'forget'])).toMatchObject({ code: 0, stdout: help });
  });

  it('lists every command with --help (exit 0) and without a command (exit 64)', async () => {
    const listed = await cli(['--help']);
    expect(listed.code).toBe(0);
    for (const command of COMMANDS) expect(listed.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(await cli([])).toMatchObject({ code: 64, stdout: listed.stdout });
  });
});

describe('transcript-search usage errors exit 64', () => {
  it('refuses an unknown option in one line naming it and the command usage', async () => {
    const result = await cliProcess(['sync', '--bogus']);
    expect(result).toMatchObject({ code: 64, stdout: '' });
    expect(result.stderr).toBe("Unknown option '--bogus' (usage: transcript-search sync [--source napster|agents] [--full] [--wait SECONDS])\n");
  });

  it.each([
    ['serve', 'serve'],
    ['sync', 'sync [--source napster|agents] [--full] [--wait SECONDS]'],
    ['snapshot', 'snapshot'],
    ['compact', 'compact'],
    ['demo', 'demo'],
  ])('refuses a stray positional argument to %s', async (command, usage) => {
    const result = await cli([command, 'extra']);
    expect(result.code).toBe(64);
    expect(result.stderr).toBe(`Unexpected argument 'extra' (usage: transcript-search ${usage})\n`);
  });

  it.each([
    [['sync', '--source', 'zendesk'], "--source must be napster or agents, got 'zendesk'"],
    [['sync', '--source'], "Option '--source' needs a value"],
    [['sync', '--full=yes'], "Option '--full' takes no value"],
    [['sync', '--wait', 'forever'], "--wait must be a whole number of seconds from 0 to 86400, got 'forever'"],
    [['import'], 'import needs at least one FILE'],
    [['forget'], 'forget needs exactly one CLIENT_ID'],
    [['forget', '--list', 'client_1'], 'forget needs exactly one CLIENT_ID'],
    [['forget', ''], 'CLIENT_ID must not be empty'],
    [['forget', '--undo', ''], 'CLIENT_ID must not be empty'],
    [['forget', ' \t'], 'CLIENT_ID must not be blank'],
    [['search', 'refund', '--role', 'bot'], "Invalid 'role'"],
    [['search', 'refund', '-x'], "Unknown option '-x'"],
    [['search', 'refund', '--limit', '500'], "Invalid 'hitsPerPage': expected a whole number from 1 to 100"],
    [['search', 'refund', '--page', '0'], "Invalid 'page'"],
    [['search', 'refund', '--sort', 'best'], "Invalid 'sort': expected relevance, newest or oldest"],
    [['search', 'refund', '--from', 'yesterday'], "Invalid 'from': expected an ISO-8601 date or date-time, or Unix seconds, got 'yesterday'"],
    [['search', 'refund', '--from', '2026-02-01', '--to', '2026-01-01'], "Invalid 'from': it is after 'to'"],
    [['search', 'refund', '--tenant', ''], "Parameter 'tenantId' must not be empty"],
    [['search', '--sessions', '--said', 'user'], "Invalid 'said': expected ROLE:TEXT with ROLE user, agent or any, got 'user'"],
    [['search', '--sessions', '--said', 'user:hi', '--within', '2'], "Invalid 'within': it needs order=said"],
    [['search', '--said', 'user:hi'], '--said, --not-said, --order and --within search sessions: add --sessions'],
    [['export'], 'export needs what to export: turns or sessions'],
    [['export', 'sessions', '--context', '2'], '--context is for export turns'],
    [['export', 'turns', '--not-said', 'agent:no'], '--said, --not-said, --order and --within select sessions: export sessions'],
    [['export', 'turns', '--format', 'xls'], "Invalid 'format': expected jsonl or csv"],
    [['export', 'turns', '--limit', '5'], "Unknown option '--limit'"],
  ])('refuses %j: %s', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(64);
    expect(result.stderr.startsWith(message), result.stderr).toBe(true);
    expect(result.stderr).toContain(`(usage: transcript-search ${args[0]}`);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('checks the command line before the configuration', async () => {
    expect((await cli(['sync', '--bogus'], { PORT: 'not-a-port' })).code).toBe(64);
  });

  it('refuses an unknown command, listing the commands', async () => {
    const result = await cli(['reindex']);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/^Unknown command 'reindex'\.\n\nUsage: transcript-search <command>/);
  });
});

describe('transcript-search configuration errors exit 78', () => {
  it('refuses AGENTS_API_KEY without AGENTS_BASE_URL, naming AGENTS_BASE_URL', async () => {
    const result = await cli(['sync'], { AGENTS_API_KEY: 'ak' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/^Invalid configuration: AGENTS_BASE_URL: required when AGENTS_API_KEY is set/);
  });

  it('refuses AGENTS_BASE_URL without AGENTS_API_KEY, naming AGENTS_API_KEY', async () => {
    const result = await cli(['serve'], { AGENTS_BASE_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/^Invalid configuration: AGENTS_API_KEY: required when AGENTS_BASE_URL is set/);
  });

  it('says how to configure a source when none is', async () => {
    const result = await cli(['sync']);
    expect(result.code).toBe(78);
    expect(result.stderr).toBe('No source is configured: set NAPSTER_API_KEY, or AGENTS_API_KEY and AGENTS_BASE_URL\n');
  });
});
