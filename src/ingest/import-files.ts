import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import { AppError, errorMessage } from '../errors.js';
import type { IngestDeps } from './deps.js';
import { intakeRecords } from './intake.js';

/*
 * `transcript-search import`: `.json` (one object or an array), `.jsonl`, each optionally `.gz`,
 * records of either vendor shape. JSONL is streamed, so exports of any size import in bounded memory.
 * Invalid records are reported as `file:line: reason` and skipped; the rest is imported, except the
 * sessions of forgotten clients, which are reported the same way and counted as `refused`.
 */

export type ImportResult = { files: number; sessions: number; turns: number; skipped: number; refused: number };

const CHUNK = 1_000;

export async function importFiles(
  deps: IngestDeps,
  files: string[],
  report: (problem: string) => void,
): Promise<ImportResult> {
  const result: ImportResult = { files: 0, sessions: 0, turns: 0, skipped: 0, refused: 0 };
  let chunk: Array<{ record: unknown; origin: string }> = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const written = await intakeRecords(deps, chunk, { scope: {}, wait: true, duplicates: 'last' });
    result.sessions += written.sessions;
    result.turns += written.turns;
    for (const { origin, reason, error } of written.refused) {
      report(`${origin}: ${error}`);
      if (reason === 'forgotten') result.refused++;
      else result.skipped++;
    }
    chunk = [];
  };
  for (const file of files) {
    if (!/\.(json|jsonl|ndjson)(\.gz)?$/i.test(file)) {
      throw new AppError('bad_request', `${file}: expected a .json, .jsonl or .ndjson file, optionally .gz`);
    }
    for await (const { line, record, error } of readRecords(file)) {
      if (error === undefined) {
        chunk.push({ record, origin: `${file}:${line}` });
        if (chunk.length >= CHUNK) await flush();
        continue;
      }
      report(`${file}:${line}: ${error}`);
      result.skipped++;
    }
    result.files++;
  }
  await flush();
  return result;
}

type FileRecord = { line: number; record?: unknown; error?: string };

async function* readRecords(file: string): AsyncIterable<FileRecord> {
  const gzipped = /\.gz$/i.test(file);
  if (/\.json(\.gz)?$/i.test(file)) {
    let text: string;
    try {
      const raw = await readFile(file);
      text = (gzipped ? gunzipSync(raw) : raw).toString('utf8');
    } catch (error) {
      throw new AppError('bad_request', `${file}: ${errorMessage(error)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      yield { line: 1, error: `not valid JSON: ${errorMessage(error)}` };
      return;
    }
    const records = Array.isArray(parsed) ? parsed : [parsed];
    const lines = Array.isArray(parsed) ? elementLines(text) : [1];
    for (let i = 0; i < records.length; i++) yield { line: lines[i] ?? 1, record: records[i] };
    return;
  }
  const input = createReadStream(file);
  const lines = createInterface({ input: gzipped ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, record: JSON.parse(text) };
    } catch (error) {
      yield { line, error: `not valid JSON: ${errorMessage(error)}` };
    }
  }
}

/** The line on which each top-level element of a JSON array starts, so reports can name it. */
function elementLines(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let escaped = false;
  let expectElement = false;
  for (const char of text) {
    if (char === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (/\s/.test(char)) continue;
    if (depth === 1 && expectElement && char !== ']') {
      starts.push(line);
      expectElement = false;
    }
    if (char === '"') inString = true;
    else if (char === '[' || char === '{') {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (char === ']' || char === '}') depth--;
    else if (char === ',' && depth === 1) expectElement = true;
  }
  return starts;
}
