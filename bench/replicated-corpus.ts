import { readCorpus } from '../test/support/corpus.js';

/**
 * The Napster corpus, replicated `scale` times with fresh session ids, generated on demand: only the
 * base corpus is held (as JSON text without the id), so the upstream and the document writer stay
 * bounded however large the scale. Replica 0 keeps the corpus ids; replica k ≥ 1 appends `-r<k>`.
 * Replicas share their original's times, so the newest-first listing is: each base session, newest
 * first, followed by its replicas.
 */
type BaseSession = {
  id: string;
  createdAt: number;
  /** The summary JSON after the id: `,"companionId":…}` (no conversation). */
  summaryTail: string;
  /** The detail JSON after the id. */
  detailTail: string;
};

export type ReplicatedCorpus = {
  /** Sessions including replicas. */
  total: number;
  turns: number;
  /** Summary JSON of the session at this listing position (0 = newest). */
  summaryAt(position: number): string;
  /** Detail JSON, or undefined for an unknown id. */
  detail(sessionId: string): string | undefined;
  /** Every detail JSON in listing order. */
  details(): Iterable<string>;
};

type CorpusRecord = { id: string; createdAt: number; conversation: { items: unknown[] } } & Record<string, unknown>;

const REPLICA_ID = /^(.+)-r(\d+)$/;

function withId(id: string, tail: string): string {
  return `{"id":${JSON.stringify(id)}${tail}`;
}

function replicaId(baseId: string, replica: number): string {
  return replica === 0 ? baseId : `${baseId}-r${replica}`;
}

/** The first `sessions` sessions of the corpus file, newest first, kept as JSON text. */
export type BaseCorpus = { sessions: BaseSession[]; turns: number };

export async function loadBaseCorpus(file: string, sessions: number): Promise<BaseCorpus> {
  const base: BaseSession[] = [];
  let turns = 0;
  for await (const record of readCorpus<CorpusRecord>(file, sessions)) {
    const { id, conversation, ...rest } = record;
    base.push({
      id,
      createdAt: record.createdAt,
      summaryTail: `,${JSON.stringify(rest).slice(1)}`,
      detailTail: `,${JSON.stringify({ ...rest, conversation }).slice(1)}`,
    });
    turns += conversation.items.length;
  }
  base.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  return { sessions: base, turns };
}

export function replicate(corpus: BaseCorpus, scale: number): ReplicatedCorpus {
  const base = corpus.sessions;
  const byId = new Map(base.map((session) => [session.id, session]));

  const detail = (sessionId: string): string | undefined => {
    const direct = byId.get(sessionId);
    if (direct) return withId(sessionId, direct.detailTail);
    const match = REPLICA_ID.exec(sessionId);
    if (!match) return undefined;
    const replica = Number(match[2]);
    const original = byId.get(match[1]!);
    // `-r0` and out-of-range replicas are ids the listing never shows: unknown, like any other.
    if (!original || replica < 1 || replica >= scale || replicaId(original.id, replica) !== sessionId) return undefined;
    return withId(sessionId, original.detailTail);
  };

  return {
    total: base.length * scale,
    turns: corpus.turns * scale,
    summaryAt: (position) => {
      const original = base[Math.floor(position / scale)]!;
      return withId(replicaId(original.id, position % scale), original.summaryTail);
    },
    detail,
    *details() {
      for (const original of base) {
        for (let replica = 0; replica < scale; replica++) yield withId(replicaId(original.id, replica), original.detailTail);
      }
    },
  };
}
