import { runCli } from '../../src/cli/run.js';
import { describe, expect, test } from '../support/fixtures.js';

/**
 * `transcript-search sync` in process, its stderr a terminal or not: on a terminal one progress line
 * is redrawn in place (sessions and turns so far, their rate) and taken away before the summary; on a
 * pipe nothing but the summary on stdout.
 */
test.override({ napsterSessions: 60 });

async function sync(env: Record<string, string>, isTTY: boolean) {
  let stderr = '';
  let stdout = '';
  const stream = { isTTY, columns: 400, write: (text: string) => ((stderr += text), true) } as unknown as NodeJS.WriteStream;
  const code = await runCli(['sync'], { PATH: process.env.PATH, LOG_LEVEL: 'error', ...env }, { stdout: (text) => void (stdout += text), stderr: stream, out: process.stdout });
  return { code, stdout, stderr };
}

describe('transcript-search sync progress', () => {
  test('is one redrawn line on a terminal, and nothing on a pipe', async ({ engine, napster }) => {
    const env = {
      MEILI_URL: engine.url,
      MEILI_MASTER_KEY: engine.key,
      INDEX_PREFIX: engine.prefix,
      NAPSTER_API_KEY: napster.fake.apiKey,
      NAPSTER_BASE_URL: napster.fake.url,
    };
    const terminal = await sync(env, true);
    expect(terminal.code, terminal.stderr).toBe(0);
    expect(terminal.stderr).toMatch(/^\r\u001b\[Knapster: [\d,]+ sessions, [\d,]+ turns indexed of [\d,]+ listed, 0 skipped, 0 failed \([\d,]+ sessions\/s\)/);
    expect(terminal.stderr).not.toContain('\n');
    expect(terminal.stderr.endsWith('\r\u001b[K')).toBe(true);
    expect(JSON.parse(terminal.stdout)).toMatchObject({ sessions: 60, failed: 0 });

    const piped = await sync(env, false);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toBe('');
    expect(JSON.parse(piped.stdout)).toMatchObject({ failed: 0, skipped: 0 });
  });
});
