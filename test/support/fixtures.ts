import { test as base } from 'vitest';
import { startNapsterUpstream, type NapsterUpstream } from '../../src/demo/napster-upstream.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/logger.js';
import { startAgentsUpstream, type AgentRecord, type AgentsUpstream } from './agents-upstream.js';
import { AGENTS_CORPUS, loadCorpus, NAPSTER_CORPUS, type NapsterCorpusRecord } from './corpus.js';
import { createTestEngine, type TestEngine } from './engine.js';

/**
 * The setup most integration files share, as file-scoped fixtures made on first use and torn down
 * after the file's last test: a fresh set of indexes on the shared engine (`engine`), an app over
 * them (`app`), and a local fake of each vendor serving the first sessions of its corpus (`napster`,
 * `agents`; how many: `napsterSessions`, `agentsSessions`, which a file sets at its top with
 * `test.override`). A file asks only for what it uses, so a fake it does not name is never started.
 */
export type NapsterFixture = { records: NapsterCorpusRecord[]; fake: NapsterUpstream };
export type AgentsFixture = { records: AgentRecord[]; fake: AgentsUpstream };

export const test = base
  .extend('napsterSessions', { scope: 'file' }, 300)
  .extend('agentsSessions', { scope: 'file' }, 300)
  .extend('engine', { scope: 'file' }, async ({}, { onCleanup }): Promise<TestEngine> => {
    const engine = await createTestEngine('file');
    onCleanup(() => engine.drop());
    return engine;
  })
  .extend('app', { scope: 'file' }, async ({ engine }) => createApp({ engine: engine.client, names: engine.names, log: silentLogger }))
  .extend('napster', { scope: 'file' }, async ({ napsterSessions }, { onCleanup }): Promise<NapsterFixture> => {
    const records = await loadCorpus<NapsterCorpusRecord>(NAPSTER_CORPUS, napsterSessions);
    const fake = await startNapsterUpstream({ records, apiKey: 'test-napster-key' });
    onCleanup(() => fake.close());
    return { records, fake };
  })
  .extend('agents', { scope: 'file' }, async ({ agentsSessions }, { onCleanup }): Promise<AgentsFixture> => {
    const records = await loadCorpus<AgentRecord>(AGENTS_CORPUS, agentsSessions);
    const fake = await startAgentsUpstream({ records });
    onCleanup(() => fake.close());
    return { records, fake };
  });

export { describe, expect } from 'vitest';
