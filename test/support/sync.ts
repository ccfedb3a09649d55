import type { NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { SyncPass, type SyncSummary } from '../../src/ingest/sync-pass.js';
import type { SourceFactory } from '../../src/ingest/sync-controller.js';
import { createAgentsSource } from '../../src/sources/agents/client.js';
import { createNapsterSource } from '../../src/sources/napster/client.js';
import type { AgentsUpstream } from './agents-upstream.js';
import type { TestEngine } from './engine.js';

/** Local fakes answer at once: a high rate keeps tests fast while the real request path is used. */
const FAST = { rps: 5_000, concurrency: 16 };

export function agentsFactory(upstream: AgentsUpstream): SourceFactory {
  const { url: baseUrl, apiKey, listPath, detailPath } = upstream;
  return { name: 'agents', create: () => createAgentsSource({ apiKey, baseUrl, listPath, detailPath, ...FAST }) };
}

export function napsterFactory(upstream: NapsterUpstream): SourceFactory {
  return { name: 'napster', create: () => createNapsterSource({ apiKey: upstream.apiKey, baseUrl: upstream.url, ...FAST }) };
}

/** One sync pass through the real pipeline, as `transcript-search sync` runs it. */
export async function syncOnce(engine: TestEngine, factory: SourceFactory, options: { full?: boolean } = {}): Promise<SyncSummary> {
  const source = factory.create();
  try {
    return await new SyncPass(engine.ingest, source, { ...options, concurrency: FAST.concurrency }).run();
  } finally {
    await source.close();
  }
}
