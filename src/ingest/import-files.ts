import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { AppError, errorMessage } from '../errors.js';
import { addCounts, type RedactionCounts } from '../redact/kinds.js';
import type { IngestDeps } from './deps.js';
import { describeReadError } from './import-file-check.js';
import { intakeRecords } from './intake.js';

/*
 * `transcript-search import`: `.json` (one object or an array), `.jsonl`, each optionally `.gz`,
 * records of either vendor shape. JSONL is streamed, so exports of any size import in bounded memory.
 * Invalid records are reported as `file:line: reason` and skipped; the rest is imported, except the
 * sessions of forgotten clients, which are reported the same way and counted as `refused`.
 *
 * Each file has an outcome: imported, or failed part-way (a truncated gzip shows only once read), saying
 * after which line and what it imported before; what was read before a failure is still written. Files
 * are written one after another, never in a batch together, so each one's counts are its own. When the
 * engine fails a write, the import stops there: the files after it would fail the same way.
 */

/** `redactions`: per kind, in what was imported. */
export type ImportCounts = { sessions: number; turns: number; skipped: number; refused: number; redactions: RedactionCounts };

export type FileOutcome =
  | ({ file: string; status: 'imported' } & ImportCounts)
  | ({ file: string; status: 'failed'; afterLine: number; error: string } & ImportCounts)
  | { file: string; status: 'not_imported'; error: string };

/** `files`: how many were imported whole. */
export type ImportResult = ImportCounts & { files: number; outcomes: FileOutcome[] };

/** Running totals over the files so far, and where the reading is. */
export type ImportProgress = { file: string; line: number; sessions: number; turns: number };

/** Told as the import goes, beside the records reported as problems. */
export type ImportHooks = {
  /** A file done with. */
  fileDone?(outcome: FileOutcome): void;
  progress?(progress: ImportProgress): void;
};

const CHUNK = 1_000;

/**
 * Imports the files in order, reporting each record not imported as `file:line: reason`; a file that
 * cannot be read fails alone, an engine failure stops the rest.
 */
export async function importFiles(deps: IngestDeps, files: readonly string[], report: (problem: string) => void, hooks: ImportHooks = {}): Promise<ImportResult> {
  const outcomes: FileOutcome[] = [];
  const before = { sessions: 0, turns: 0 };
  for (const [position, file] of files.entries()) {
    const { outcome, stopsImport } = await importFile(deps, file, { report, progress: hooks.progress }, before);
    outcomes.push(outcome);
    hooks.fileDone?.(outcome);
    if (outcome.status !== 'not_imported') {
      before.sessions += outcome.sessions;
      before.turns += outcome.turns;
    }
    if (stopsImport) {
      for (const rest of files.slice(position + 1)) {
        const skipped: FileOutcome = { file: rest, status: 'not_imported', error: `the import stopped when writing ${file} failed` };
        outcomes.push(skipped);
        hooks.fileDone?.(skipped);
      }
      break;
    }
  }
  return importResult(outcomes);
}

/** The totals of all outcomes, and the outcomes themselves: what `import` prints. */
export function importResult(outcomes: FileOutcome[]): ImportResult {
  const result: ImportResult = { files: 0, sessions: 0, turns: 0, skipped: 0, refused: 0, redactions: {}, outcomes };
  for (const outcome of outcomes) {
    if (outcome.status === 'imported') result.files++;
    if (outcome.status === 'not_imported') continue;
    result.sessions += outcome.sessions;
    result.turns += outcome.turns;
    result.skipped += outcome.skipped;
    result.refused += outcome.refused;
    addCounts(result.redactions, outcome.redactions);
  }
  return result;
}

async function importFile(
  deps: IngestDeps,
  file: string,
  reporter: { report(problem: string): void; progress: ImportHooks['progress'] },
  before: { sessions: number; turns: number },
): Promise<{ outcome: FileOutcome; stopsImport: boolean }> {
  const counts: ImportCounts = { sessions: 0, turns: 0, skipped: 0, refused: 0, redactions: {} };
  let chunk: Array<{ record: unknown; origin: string }> = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const written = await intakeRecords(deps, chunk, { scope: {}, wait: true, duplicates: 'last' });
    chunk = [];
    counts.sessions += written.sessions;
    counts.turns += written.turns;
    addCounts(counts.redactions, written.redactions);
    for (const { origin, reason, error } of written.refused) {
      reporter.report(`${origin}: ${error}`);
      if (reason === 'forgotten') counts.refused++;
      else counts.skipped++;
    }
  };
  let line = 0;
  let readFailure: string | undefined;
  try {
    for await (const item of readRecords(file)) {
      if ('failure' in item) {
        readFailure = item.failure;
        break;
      }
      line = item.line;
      if (item.error === undefined) {
        chunk.push({ record: item.record, origin: `${file}:${item.line}` });
        if (chunk.length >= CHUNK) await flush();
      } else {
        // A JSON parser's message quotes the text it stopped at.
        reporter.report(`${file}:${item.line}: ${deps.redactor.redact(item.error)}`);
        counts.skipped++;
      }
      reporter.progress?.({ file, line, sessions: before.sessions + counts.sessions, turns: before.turns + counts.turns });
    }
    // Records read before a failure are whole and valid: they are written like any others.
    await flush();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { outcome: { file, status: 'failed', afterLine: line, error: `writing to the engine failed: ${error.message}`, ...counts }, stopsImport: true };
  }
  if (readFailure === undefined) return { outcome: { file, status: 'imported', ...counts }, stopsImport: false };
  return { outcome: { file, status: 'failed', afterLine: line, error: readFailure, ...counts }, stopsImport: false };
}

type FileRecord = { line: number; record?: unknown; error?: string };

/** The file's records in order; reading it failing ends them with `{ failure }`, never an exception. */
async function* readRecords(file: string): AsyncIterable<FileRecord | { failure: string }> {
  const gzipped = /\.gz$/i.test(file);
  if (/\.json(\.gz)?$/i.test(file)) {
    let text: string;
    try {
      const raw = await readFile(file);
      text = (gzipped ? gunzipSync(raw) : raw).toString('utf8');
    } catch (error) {
      yield { failure: describeReadError(error) };
      return;
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
  // pipeline() passes an error of any stage (the file, the gunzip) on to the last, which the lines read.
  const input = gzipped ? pipeline(createReadStream(file), createGunzip(), () => {}) : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      try {
        yield { line, record: JSON.parse(text) };
      } catch (error) {
        yield { line, error: `not valid JSON: ${errorMessage(error)}` };
      }
    }
  } catch (error) {
    yield { failure: describeReadError(error) };
  } finally {
    input.destroy();
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
