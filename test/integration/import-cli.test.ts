import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { importFiles } from '../../src/ingest/import-files.js';
import type { AgentRecord } from '../support/agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus, NAPSTER_CORPUS } from '../support/corpus.js';
import { createTestEngine, type TestEngine } from '../support/engine.js';
import { agentTranscripts, indexedTranscripts, napsterTranscripts, turnTotal } from '../support/transcripts.js';

type NapsterSession = { id: string; conversation: { items: unknown[] }; [key: string]: unknown };

let engine: TestEngine;
let agents: AgentRecord[];
let napster: NapsterSession[];
const files: string[] = [];

function tempFile(extension: string, content: string | Buffer): string {
  const file = path.join(tmpdir(), `transcript-search-import-${randomBytes(4).toString('hex')}${extension}`);
  writeFileSync(file, content);
  files.push(file);
  return file;
}

function cliEnv() {
  return { PATH: process.env.PATH, MEILI_URL: engine.url, MEILI_MASTER_KEY: engine.key, INDEX_PREFIX: engine.prefix, LOG_LEVEL: 'warn' };
}

/** Runs the built CLI against the test engine, writing into this file's indexes. */
function runImport(...files: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('dist/main.js'), 'import', ...files], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  engine = await createTestEngine('import');
  agents = await loadCorpus<AgentRecord>(AGENTS_CORPUS, 500);
  napster = await loadCorpus<NapsterSession>(NAPSTER_CORPUS, 500);
});

afterAll(async () => {
  for (const file of files) rmSync(file, { recursive: true, force: true });
  await engine?.drop();
});

describe('transcript-search import', () => {
  it('imports 997 of 1,000 records of both vendor shapes, names the 3 bad ones by line, and exits 2', async () => {
    // Alternate the shapes line by line (agent session i on line 2i+1, Napster session i on line
    // 2i+2), and break lines 17, 500 and 999 three different ways.
    const lines = agents.flatMap((agent, i) => [JSON.stringify(agent), JSON.stringify(napster[i])]);
    const { conversation: _dropped, ...withoutConversation } = napster[249]!;
    lines[16] = lines[16]!.slice(0, 80);
    lines[499] = JSON.stringify(withoutConversation);
    lines[998] = JSON.stringify({ ...agents[499], created_at: 1_700_000_000 });
    const file = tempFile('.jsonl', `${lines.join('\n')}\n`);

    const { code, stdout, stderr } = await runImport(file);
    expect(code, stderr).toBe(2);
    const printed = stderr.trim().split('\n');
    expect(printed).toHaveLength(4);
    const problems = printed.slice(0, 3);
    expect(printed[3]).toBe(`${file}: 997 imported, 3 skipped`);
    expect(problems[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:17: not valid JSON`));
    expect(problems[1]).toMatch(/:500: Napster session: conversation: /);
    expect(problems[2]).toMatch(/:999: agent session: created_at: /);

    const valid = { ...agentTranscripts(agents), ...napsterTranscripts(napster) };
    delete valid[agents[8]!.session_id as string];
    delete valid[napster[249]!.id];
    delete valid[agents[499]!.session_id as string];
    expect(Object.keys(valid)).toHaveLength(997);
    const counts = { sessions: 997, turns: turnTotal(valid), skipped: 3, refused: 0, redactions: {} };
    expect(JSON.parse(stdout)).toEqual({ files: 1, ...counts, outcomes: [{ file, status: 'imported', ...counts }] });
    expect(await indexedTranscripts(engine)).toEqual(valid);
  });

  it('reads a gzipped JSON array and names a bad element by the line it starts on', async () => {
    const records = [agents[0], { ...agents[1], transcript: [{ role: 'user', text: 7 }] }, napster[0]];
    const file = tempFile('.json.gz', gzipSync(JSON.stringify(records, null, 2)));
    const secondStartsAt = JSON.stringify(records, null, 2).split('\n').indexOf('  {', 2) + 1;

    const { code, stdout, stderr } = await runImport(file);
    expect(code, stderr).toBe(2);
    expect(stderr.trim().split('\n')[0]).toMatch(new RegExp(`:${secondStartsAt}: agent session: transcript\\.0\\.text: `));
    expect(JSON.parse(stdout)).toMatchObject({ sessions: 2, skipped: 1 });
  });

  it('exits 0 when every record is valid', async () => {
    const file = tempFile('.json', JSON.stringify(napster[1]));
    const { code, stdout, stderr } = await runImport(file);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ sessions: 1, skipped: 0 });
  });
});

describe('transcript-search import of files it cannot read whole', () => {
  const napsterLines = (from: number, to: number, idPrefix: string) =>
    napster.slice(from, to).map((session) => JSON.stringify({ ...session, id: `${idPrefix}${session.id}` }));
  const missingFile = () => path.join(tmpdir(), `transcript-search-import-missing-${randomBytes(4).toString('hex')}.json`);

  /** Runs the built CLI under its own index prefix, and says whether that prefix got any index. */
  async function importUntouched(...args: string[]) {
    const prefix = `${engine.prefix}untouched_${randomBytes(2).toString('hex')}_`;
    const child = spawn(process.execPath, [path.resolve('dist/main.js'), 'import', ...args], { env: { ...cliEnv(), INDEX_PREFIX: prefix }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    return { code, stdout, stderr, indexed: (await engine.client.getIndex(`${prefix}turns`)) !== undefined };
  }

  it('checks every file before writing: one missing and one .gz that is not gzip, and nothing is imported, not even the good file; exit 66', async () => {
    const good = tempFile('.jsonl.gz', gzipSync(napsterLines(0, 10, 'checked_').join('\n')));
    const missing = missingFile();
    const notGzip = tempFile('.jsonl.gz', `${napsterLines(10, 11, 'checked_')[0]}\n`);

    const { code, stdout, stderr, indexed } = await importUntouched(good, missing, notGzip);
    expect(code, stderr).toBe(66);
    expect(stderr).toBe(
      [
        `${good}: not imported: nothing is imported while 2 files fail the check`,
        `${missing}: not imported: no such file`,
        `${notGzip}: not imported: not gzip data, although named .gz`,
        '',
      ].join('\n'),
    );
    expect(JSON.parse(stdout)).toEqual({
      files: 0, sessions: 0, turns: 0, skipped: 0, refused: 0, redactions: {},
      outcomes: [
        { file: good, status: 'not_imported', error: 'nothing is imported while 2 files fail the check' },
        { file: missing, status: 'not_imported', error: 'no such file' },
        { file: notGzip, status: 'not_imported', error: 'not gzip data, although named .gz' },
      ],
    });
    // The engine was not even asked: no index was created under this prefix.
    expect(indexed).toBe(false);
  });

  it.each([
    ['a directory', () => {
      const dir = path.join(tmpdir(), `transcript-search-import-dir-${randomBytes(4).toString('hex')}.jsonl`);
      mkdirSync(dir);
      files.push(dir);
      return dir;
    }, 'a directory, not a file'],
    ['an unreadable file (reading it fails)', () => {
      // Opening /proc/self/mem succeeds; reading its first bytes fails with EIO, whoever the user is (root included).
      const link = path.join(tmpdir(), `transcript-search-import-unreadable-${randomBytes(4).toString('hex')}.jsonl`);
      symlinkSync('/proc/self/mem', link);
      files.push(link);
      return link;
    }, 'cannot be read (input/output error)'],
    ['a truncated .jsonl.gz', () => {
      const whole = gzipSync(napsterLines(0, 300, 'truncated_').join('\n'));
      return tempFile('.jsonl.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    }, 'the gzip data ends early (a truncated file?)'],
    ['a truncated .json.gz', () => {
      const whole = gzipSync(JSON.stringify(napster.slice(0, 5)));
      return tempFile('.json.gz', whole.subarray(0, whole.length - 20));
    }, 'the gzip data ends early (a truncated file?)'],
    ['a file of another kind', () => tempFile('.txt', 'notes'), 'expected a .json, .jsonl or .ndjson file, optionally .gz'],
  ])('refuses %s in one line, without a stack trace, and writes nothing; exit 66', async (_name, make, why) => {
    const file = make();
    const { code, stdout, stderr, indexed } = await importUntouched(file);
    expect(code, stderr).toBe(66);
    expect(stderr).toBe(`${file}: not imported: ${why}\n`);
    expect(JSON.parse(stdout)).toMatchObject({ files: 0, sessions: 0, outcomes: [{ file, status: 'not_imported', error: why }] });
    expect(indexed).toBe(false);
  });

  it('keeps what a file gave before it failed while read, and says after which line', async () => {
    // The CLI's check finds a truncated gzip before writing; a file can still change or fail after the
    // check, which importFiles, reading it, meets part-way.
    const whole = gzipSync(napsterLines(0, 300, 'partway_').join('\n'));
    const file = tempFile('.jsonl.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const before = await engine.client.documentCount(engine.names.sessions);
    const outcomes: string[] = [];

    const result = await importFiles(engine.ingest, [file], (problem) => outcomes.push(problem));
    expect(outcomes).toEqual([]);
    const [outcome] = result.outcomes;
    expect(outcome).toMatchObject({ file, status: 'failed', error: 'the gzip data ends early (a truncated file?)', skipped: 0, refused: 0 });
    if (outcome?.status !== 'failed') throw new Error('expected a failed outcome');
    expect(outcome.sessions).toBeGreaterThan(0);
    expect(outcome.sessions).toBe(outcome.afterLine);
    expect(await engine.client.documentCount(engine.names.sessions)).toBe(before + outcome.sessions);
  });

  it('draws one updating progress line on a terminal, and nothing beyond the outcome otherwise', async () => {
    const file = tempFile('.jsonl', napsterLines(20, 30, 'progress_').join('\n'));
    const run = async (isTTY: boolean) => {
      let stderr = '';
      let stdout = '';
      const stream = { isTTY, columns: 400, write: (text: string) => ((stderr += text), true) } as unknown as NodeJS.WriteStream;
      const code = await runCli(['import', file], cliEnv(), { stdout: (text) => void (stdout += text), stderr: stream, out: process.stdout });
      return { code, stdout, stderr };
    };

    const terminal = await run(true);
    expect(terminal.code, terminal.stderr).toBe(0);
    expect(terminal.stderr).toMatch(new RegExp(`^\r\u001b\\[K[\\d,]+ sessions, [\\d,]+ turns imported \\([\\d,]+ sessions/s\\); reading ${file}:\\d+`));
    expect(terminal.stderr).toContain(`\r\u001b[K${file}: 10 imported, 0 skipped\n`);
    expect(terminal.stderr.endsWith('\r\u001b[K')).toBe(true);
    expect(JSON.parse(terminal.stdout)).toMatchObject({ sessions: 10 });

    const piped = await run(false);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toBe(`${file}: 10 imported, 0 skipped\n`);
    expect(piped.stdout).toBe(terminal.stdout);
  });
});
