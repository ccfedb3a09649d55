import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { EngineClient } from '../../src/engine/client.js';
import { ensureIndexes, indexNames, type IndexNames } from '../../src/engine/indexes.js';
import { ingestDeps, type IngestDeps } from '../../src/ingest/deps.js';
import { silentLogger } from '../../src/logger.js';

/** `ingest`: what ingest modules take (stores, no hooks), on this engine and prefix. */
export type TestEngine = { client: EngineClient; names: IndexNames; ingest: IngestDeps; prefix: string; url: string; key: string; drop(): Promise<void> };

/** A client on the shared test engine and a fresh set of indexes under a unique prefix. */
export async function createTestEngine(label: string): Promise<TestEngine> {
  const url = inject('engineUrl');
  const key = inject('engineKey');
  const client = new EngineClient({ url, apiKey: key });
  const prefix = `t_${label}_${randomBytes(4).toString('hex')}_`;
  const names = indexNames(prefix);
  await ensureIndexes(client, names);
  return {
    client,
    names,
    ingest: ingestDeps({ engine: client, names, log: silentLogger }),
    prefix,
    url,
    key,
    drop: async () => {
      await client.waitForTasks(
        await Promise.all(Object.values(names).map((uid) => client.deleteIndex(uid))),
      );
      // The engine keys the service made for this prefix (indexing key, token signers).
      const keys = await client.request<{ results: Array<{ uid: string; name: string | null }> }>('GET', '/keys', { query: { limit: 10_000 } });
      for (const key of keys.results) {
        if (key.name?.startsWith(`transcript-search ${prefix}`)) await client.request('DELETE', `/keys/${key.uid}`);
      }
      await client.close();
    },
  };
}
