import { serveNapsterApi } from '../src/demo/napster-api.js';
import type { ReplicatedCorpus } from './replicated-corpus.js';

/** The Napster-shaped API over a replicated corpus whose pages and details are built on request. */
export type ReplicaUpstream = { url: string; apiKey: string; readonly requests: number; close(): Promise<void> };

export async function startReplicaUpstream(corpus: ReplicatedCorpus, apiKey = 'bench-napster-key'): Promise<ReplicaUpstream> {
  const api = await serveNapsterApi(
    {
      total: () => corpus.total,
      summaries: (from, to) => Array.from({ length: to - from }, (_, i) => corpus.summaryAt(from + i)),
      detail: (id) => corpus.detail(id),
    },
    { apiKey },
  );
  return {
    url: api.url,
    apiKey,
    get requests() {
      return api.requests;
    },
    close: () => api.close(),
  };
}
