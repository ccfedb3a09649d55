import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { flattenSession } from '../src/ingest/flatten.js';
import { mapNapsterSession } from '../src/sources/napster/map.js';
import { NapsterSessionDetail } from '../src/sources/napster/schema.js';
import type { ReplicatedCorpus } from './replicated-corpus.js';

/**
 * The documents the project would index for the corpus — each detail validated, mapped and flattened
 * by the project's own code — written once to NDJSON files, one file per push. Writing them before the
 * clock starts keeps document generation out of the engine limit; files keep memory flat at any scale.
 */
export type NdjsonBatches = { turns: string[]; sessions: string[]; turnCount: number; sessionCount: number; bytes: number };

/** Documents per push: large, and never near the engine's 100 MB payload limit, whatever a document weighs. */
const DOCUMENTS_PER_BATCH = 100_000;
const BYTES_PER_BATCH = 50 * 1024 * 1024;

export async function writeNdjsonBatches(corpus: ReplicatedCorpus, dir: string): Promise<NdjsonBatches> {
  const result: NdjsonBatches = { turns: [], sessions: [], turnCount: 0, sessionCount: 0, bytes: 0 };
  let turnLines: string[] = [];
  let sessionLines: string[] = [];
  let turnBytes = 0;
  let sessionBytes = 0;
  const flush = async (kind: 'turns' | 'sessions', lines: string[]) => {
    const file = path.join(dir, `${kind}-${String(result[kind].length).padStart(4, '0')}.ndjson`);
    const text = lines.join('\n');
    await writeFile(file, text);
    result.bytes += Buffer.byteLength(text);
    result[kind].push(file);
  };
  for (const detail of corpus.details()) {
    const flat = flattenSession(mapNapsterSession(NapsterSessionDetail.parse(JSON.parse(detail))));
    for (const turn of flat.turns) {
      const line = JSON.stringify(turn);
      turnLines.push(line);
      turnBytes += Buffer.byteLength(line) + 1;
    }
    const sessionLine = JSON.stringify(flat.session);
    sessionLines.push(sessionLine);
    sessionBytes += Buffer.byteLength(sessionLine) + 1;
    result.turnCount += flat.turns.length;
    result.sessionCount++;
    if (turnLines.length >= DOCUMENTS_PER_BATCH || turnBytes >= BYTES_PER_BATCH) {
      await flush('turns', turnLines);
      turnLines = [];
      turnBytes = 0;
    }
    if (sessionLines.length >= DOCUMENTS_PER_BATCH || sessionBytes >= BYTES_PER_BATCH) {
      await flush('sessions', sessionLines);
      sessionLines = [];
      sessionBytes = 0;
    }
  }
  if (turnLines.length > 0) await flush('turns', turnLines);
  if (sessionLines.length > 0) await flush('sessions', sessionLines);
  return result;
}
