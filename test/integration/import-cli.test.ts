import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
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
  for (const file of files) rmSync(file, { force: true });
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
    const counts = { sessions: 997, turns: turnTotal(valid), skipped: 3, refused: 0 };
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

  it('checks every file first: a missing one and a .gz that is not gzip are named and not imported, the rest is; exit 2', async () => {
    const good = tempFile('.jsonl.gz', gzipSync(napsterLines(0, 10, 'checked_').join('\n')));
    const missing = missingFile();
    const notGzip = tempFile('.jsonl.gz', `${napsterLines(10, 11, 'checked_')[0]}\n`);

    const { code, stdout, stderr } = await runImport(good, missing, notGzip);
    expect(code, stderr).toBe(2);
    // Refusals first, before anything is written; then each imported file's outcome.
    expect(stderr).toBe(
      [`${missing}: not imported: no such file`, `${notGzip}: not imported: not gzip data, although named .gz`, `${good}: 10 imported, 0 skipped`, ''].join('\n'),
    );
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ files: 1, sessions: 10, skipped: 0, refused: 0 });
    expect(summary.outcomes).toEqual([
      { file: good, status: 'imported', sessions: 10, turns: expect.any(Number), skipped: 0, refused: 0 },
      { file: missing, status: 'not_imported', error: 'no such file' },
      { file: notGzip, status: 'not_imported', error: 'not gzip data, although named .gz' },
    ]);
  });

  it('exits 1 naming each file when none can be imported, without a stack trace, and creates no index', async () => {
    const missing = missingFile();
    const notGzip = tempFile('.json.gz', '{}');
    const prefix = `${engine.prefix}untouched_`;
    const child = spawn(process.execPath, [path.resolve('dist/main.js'), 'import', missing, notGzip, 'notes.txt'], {
      env: { ...cliEnv(), INDEX_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `${missing}: not imported: no such file`,
      `${notGzip}: not imported: not gzip data, although named .gz`,
      'notes.txt: not imported: expected a .json, .jsonl or .ndjson file, optionally .gz',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ files: 0, sessions: 0, outcomes: [{ status: 'not_imported' }, { status: 'not_imported' }, { status: 'not_imported' }] });
    expect(await engine.client.getIndex(`${prefix}turns`)).toBeUndefined();
  });

  it('imports a truncated gzip up to where it ends and says after which line it failed; exit 2', async () => {
    const whole = gzipSync(napsterLines(0, 300, 'truncated_').join('\n'));
    const file = tempFile('.jsonl.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const before = await engine.client.documentCount(engine.names.sessions);

    const { code, stdout, stderr } = await runImport(file);
    expect(code, stderr).toBe(2);
    const reported = new RegExp(`^${file}: (\\d+) imported, 0 skipped, then failed after line (\\d+): the gzip data ends early \\(a truncated file\\?\\)$`).exec(stderr.trim());
    expect(reported, stderr).not.toBeNull();
    const [, imported, line] = reported!.map(Number);
    expect(imported).toBeGreaterThan(0);
    expect(imported).toBe(line);
    expect(JSON.parse(stdout).outcomes).toEqual([
      { file, status: 'failed', afterLine: line, error: 'the gzip data ends early (a truncated file?)', sessions: imported, turns: expect.any(Number), skipped: 0, refused: 0 },
    ]);
    expect(await engine.client.documentCount(engine.names.sessions)).toBe(before + imported!);
  });

  it('says a truncated gzip of a whole JSON document was not imported; exit 1', async () => {
    const whole = gzipSync(JSON.stringify(napster.slice(0, 5)));
    const file = tempFile('.json.gz', whole.subarray(0, whole.length - 20));
    const { code, stdout, stderr } = await runImport(file);
    expect(code, stderr).toBe(1);
    expect(stderr).toBe(`${file}: not imported: the gzip data ends early (a truncated file?)\n`);
    expect(JSON.parse(stdout)).toMatchObject({ sessions: 0, outcomes: [{ status: 'failed', afterLine: 0 }] });
  });

  it('draws one updating progress line on a terminal, and nothing beyond the outcome otherwise', async () => {
    const file = tempFile('.jsonl', napsterLines(20, 30, 'progress_').join('\n'));
    const run = async (isTTY: boolean) => {
      let stderr = '';
      let stdout = '';
      const stream = { isTTY, columns: 400, write: (text: string) => ((stderr += text), true) } as unknown as NodeJS.WriteStream;
      const code = await runCli(['import', file], cliEnv(), { stdout: (text) => void (stdout += text), stderr: stream });
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
