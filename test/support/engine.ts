import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { EngineClient } from '../../src/engine/client.js';
import { ensureIndexes, indexNames, type IndexNames } from '../../src/engine/indexes.js';

export type TestEngine = { client: EngineClient; names: IndexNames; prefix: string; url: string; key: string; drop(): Promise<void> };

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
    prefix,
    url,
    key,
    drop: async () => {
      await client.waitForTasks(
        await Promise.all(Object.values(names).map((uid) => client.enqueue('DELETE', `/indexes/${uid}`))),
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
