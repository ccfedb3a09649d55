import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { flattenSession } from '../src/ingest/flatten.js';
import { mapNapsterSession } from '../src/sources/napster/map.js';
import { NapsterSessionDetail } from '../src/sources/napster/schema.js';
import { leanDocuments } from './lean.js';
import type { ReplicatedCorpus } from './replicated-corpus.js';

/**
 * The documents the project would index for the corpus — each detail validated, mapped and flattened
 * by the project's own code — written once to NDJSON files, one file per push. Writing them before the
 * clock starts keeps document generation out of the engine limit; files keep memory flat at any scale.
 */
export type NdjsonBatches = {
  turns: string[];
  sessions: string[];
  /** The reference's documents: what a plain design indexes (lean.ts), in the same batches. */
  lean: { turns: string[]; sessions: string[] };
  turnCount: number;
  sessionCount: number;
  bytes: number;
};

/** Documents per push: large, and never near the engine's 100 MB payload limit, whatever a document weighs. */
const DOCUMENTS_PER_BATCH = 100_000;
const BYTES_PER_BATCH = 50 * 1024 * 1024;

export async function writeNdjsonBatches(corpus: ReplicatedCorpus, dir: string): Promise<NdjsonBatches> {
  const result: NdjsonBatches = { turns: [], sessions: [], lean: { turns: [], sessions: [] }, turnCount: 0, sessionCount: 0, bytes: 0 };
  const lines = { turns: [] as string[], sessions: [] as string[], leanTurns: [] as string[], leanSessions: [] as string[] };
  const bytes = { turns: 0, sessions: 0, leanTurns: 0, leanSessions: 0 };
  const add = (kind: keyof typeof lines, document: unknown) => {
    const line = JSON.stringify(document);
    lines[kind].push(line);
    bytes[kind] += Buffer.byteLength(line) + 1;
  };
  const flush = async (kind: keyof typeof lines) => {
    const into = kind === 'turns' || kind === 'sessions' ? result[kind] : result.lean[kind === 'leanTurns' ? 'turns' : 'sessions'];
    const file = path.join(dir, `${kind}-${String(into.length).padStart(4, '0')}.ndjson`);
    const text = lines[kind].join('\n');
    await writeFile(file, text);
    if (kind === 'turns' || kind === 'sessions') result.bytes += Buffer.byteLength(text);
    into.push(file);
    lines[kind] = [];
    bytes[kind] = 0;
  };
  for (const detail of corpus.details()) {
    const session = mapNapsterSession(NapsterSessionDetail.parse(JSON.parse(detail)));
    const flat = flattenSession(session);
    for (const turn of flat.turns) add('turns', turn);
    add('sessions', flat.session);
    const lean = leanDocuments(session);
    for (const turn of lean.turns) add('leanTurns', turn);
    add('leanSessions', lean.session);
    result.turnCount += flat.turns.length;
    result.sessionCount++;
    for (const kind of Object.keys(lines) as Array<keyof typeof lines>) {
      if (lines[kind].length >= DOCUMENTS_PER_BATCH || bytes[kind] >= BYTES_PER_BATCH) await flush(kind);
    }
  }
  for (const kind of Object.keys(lines) as Array<keyof typeof lines>) if (lines[kind].length > 0) await flush(kind);
  return result;
}
