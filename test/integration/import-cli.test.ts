import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** Runs the built CLI against the test engine, writing into this file's indexes. */
function runImport(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    MEILI_URL: engine.url,
    MEILI_MASTER_KEY: engine.key,
    INDEX_PREFIX: engine.prefix,
    LOG_LEVEL: 'warn',
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('dist/main.js'), 'import', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const problems = stderr.trim().split('\n');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:17: not valid JSON`));
    expect(problems[1]).toMatch(/:500: Napster session: conversation: /);
    expect(problems[2]).toMatch(/:999: agent session: created_at: /);

    const valid = { ...agentTranscripts(agents), ...napsterTranscripts(napster) };
    delete valid[agents[8]!.session_id as string];
    delete valid[napster[249]!.id];
    delete valid[agents[499]!.session_id as string];
    expect(Object.keys(valid)).toHaveLength(997);
    expect(JSON.parse(stdout)).toEqual({ files: 1, sessions: 997, turns: turnTotal(valid), skipped: 3, refused: 0 });
    expect(await indexedTranscripts(engine)).toEqual(valid);
  });

  it('reads a gzipped JSON array and names a bad element by the line it starts on', async () => {
    const records = [agents[0], { ...agents[1], transcript: [{ role: 'user', text: 7 }] }, napster[0]];
    const file = tempFile('.json.gz', gzipSync(JSON.stringify(records, null, 2)));
    const secondStartsAt = JSON.stringify(records, null, 2).split('\n').indexOf('  {', 2) + 1;

    const { code, stdout, stderr } = await runImport(file);
    expect(code, stderr).toBe(2);
    expect(stderr.trim()).toMatch(new RegExp(`:${secondStartsAt}: agent session: transcript\\.0\\.text: `));
    expect(JSON.parse(stdout)).toMatchObject({ sessions: 2, skipped: 1 });
  });

  it('exits 0 when every record is valid', async () => {
    const file = tempFile('.json', JSON.stringify(napster[1]));
    const { code, stdout, stderr } = await runImport(file);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ sessions: 1, skipped: 0 });
  });
});
