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

/** Documents per push: large, and ~50 MB of turns, well under the engine's 100 MB payload limit. */
const DOCUMENTS_PER_BATCH = 100_000;

export async function writeNdjsonBatches(corpus: ReplicatedCorpus, dir: string): Promise<NdjsonBatches> {
  const result: NdjsonBatches = { turns: [], sessions: [], turnCount: 0, sessionCount: 0, bytes: 0 };
  let turnLines: string[] = [];
  let sessionLines: string[] = [];
  const flush = async (kind: 'turns' | 'sessions', lines: string[]) => {
    const file = path.join(dir, `${kind}-${String(result[kind].length).padStart(4, '0')}.ndjson`);
    const text = lines.join('\n');
    await writeFile(file, text);
    result.bytes += Buffer.byteLength(text);
    result[kind].push(file);
  };
  for (const detail of corpus.details()) {
    const flat = flattenSession(mapNapsterSession(NapsterSessionDetail.parse(JSON.parse(detail))));
    for (const turn of flat.turns) turnLines.push(JSON.stringify(turn));
    sessionLines.push(JSON.stringify(flat.session));
    result.turnCount += flat.turns.length;
    result.sessionCount++;
    if (turnLines.length >= DOCUMENTS_PER_BATCH) {
      await flush('turns', turnLines);
      turnLines = [];
    }
    if (sessionLines.length >= DOCUMENTS_PER_BATCH) {
      await flush('sessions', sessionLines);
      sessionLines = [];
    }
  }
  if (turnLines.length > 0) await flush('turns', turnLines);
  if (sessionLines.length > 0) await flush('sessions', sessionLines);
  return result;
}
