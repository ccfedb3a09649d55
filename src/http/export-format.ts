import { readAhead, type ExportPages } from '../search/export.js';
import type { ExportFormat } from '../search/params.js';
import type { SessionHit } from '../search/sessions.js';
import type { TurnHit } from '../search/turns.js';
import { csvRecord } from './csv.js';
import { htmlSessionHit, htmlTurnHit } from './highlights.js';
import { SessionHit as SessionHitSchema, TurnHit as TurnHitSchema } from './schemas/search.js';

/*
 * How an export writes hits, for the API and the CLI alike: JSON lines of the hits exactly as the
 * search answers them (highlights as HTML with <mark>), or CSV with one column per field of those
 * hits, in the order the hit's schema (and so the OpenAPI document) lists them. Nested values (tags,
 * lists, context, matches) are JSON in their cell, so a CSV row holds everything its JSON line does.
 */

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

/** What begins the file (the CSV header row), and the text of one hit, line end included. */
export type HitWriter<H> = { head: string; row(hit: H): string };

/** `context`: whether the hits carry the turns around them, a column of its own in CSV. */
export function turnWriter(format: ExportFormat, context: boolean): HitWriter<TurnHit> {
  const columns = Object.keys(TurnHitSchema.shape).filter((name) => context || name !== 'context');
  return writer(format, columns, htmlTurnHit);
}

export function sessionWriter(format: ExportFormat): HitWriter<SessionHit> {
  return writer(format, Object.keys(SessionHitSchema.shape), htmlSessionHit);
}

function writer<H>(format: ExportFormat, columns: readonly string[], shown: (hit: H) => H): HitWriter<H> {
  if (format === 'jsonl') return { head: '', row: (hit) => `${JSON.stringify(shown(hit))}\n` };
  return {
    head: csvRecord(columns),
    row: (hit) => {
      const row = shown(hit) as Record<string, unknown>;
      return csvRecord(columns.map((column) => row[column]));
    },
  };
}

/** A page of an export, written: its bytes and how many rows they hold. */
type EncodedPage = { bytes: Uint8Array; rows: number };

/**
 * The export's pages as bytes, a page per call (undefined at the end), each next one fetched and
 * written out while the reader sends the one before. A page is written as soon as it is fetched, so
 * only its bytes wait for the reader, never its hits.
 */
export function encodedPages<H>(exported: ExportPages<H>, writer: HitWriter<H>, signal?: AbortSignal): () => Promise<EncodedPage | undefined> {
  const encoder = new TextEncoder();
  return readAhead(async () => {
    const hits = await exported.next();
    return hits === undefined ? undefined : { bytes: encoder.encode(hits.map((hit) => writer.row(hit)).join('')), rows: hits.length };
  }, signal);
}
