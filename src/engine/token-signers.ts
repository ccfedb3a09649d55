import { randomUUID } from 'node:crypto';
import { EngineError } from '../errors.js';
import type { EngineClient } from './client.js';
import { indexNames } from './indexes.js';
import { engineKeyUid, type EngineKey } from './keys.js';

/*
 * The engine keys that sign browser search tokens (`POST /v1/search-token`): one per API key, and one
 * for the open API. The engine accepts a tenant token only while the key that signed it exists, so a
 * key per API key is what lets removing an API key end its tokens: at its next start, `serve` deletes
 * the signers of API keys no longer in API_KEYS_FILE.
 *
 * Each signer's name carries the prefix and the API key's `keyId` (a hash prefix, never the key):
 * `transcript-search ${prefix}signer ${keyId}`. Its uid is random, because the engine derives a key's
 * secret from the master key and the uid: a fixed uid would bring the same secret, and so the old
 * tokens, back with a re-created signer.
 */

export type TokenSigners = ReadonlyMap<string, EngineKey>;

/** The signer id of the open API (no API_KEYS_FILE); API keys are known by their `keyId`. */
export const OPEN_API_SIGNER = 'open';

type ListedKey = EngineKey & { name: string | null; createdAt: string };

const KEYS_PAGE = 1_000;

/**
 * Finds or creates a signer for each id in `signerIds` and deletes the other signers of this prefix,
 * and the single signer of older versions. Keys of other prefixes and keys the service did not make
 * are never touched. Two `serve` processes starting at once may each create a signer for the same id;
 * both stay valid (neither deletes a signer of an id it was given), and the earliest is used from then on.
 */
export async function provisionTokenSigners(master: EngineClient, prefix: string, signerIds: readonly string[]): Promise<Map<string, EngineKey>> {
  const namePrefix = `transcript-search ${prefix}signer `;
  const existing = new Map<string, ListedKey[]>();
  for (const key of await listKeys(master)) {
    const id = key.name?.startsWith(namePrefix) ? key.name.slice(namePrefix.length) : undefined;
    if (id !== undefined && SIGNER_ID.test(id)) existing.set(id, [...(existing.get(id) ?? []), key]);
  }
  const wanted = new Set(signerIds);
  for (const [id, keys] of existing) {
    if (!wanted.has(id)) for (const key of keys) await deleteKey(master, key.uid);
  }
  await deleteKey(master, engineKeyUid(prefix, 'search'));

  const names = indexNames(prefix);
  const signers = new Map<string, EngineKey>();
  for (const id of wanted) {
    const [earliest] = (existing.get(id) ?? []).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.uid.localeCompare(b.uid));
    const key = earliest ?? (await master.request<EngineKey>('POST', '/keys', {
      body: {
        uid: randomUUID(),
        name: `${namePrefix}${id}`,
        description: id === OPEN_API_SIGNER
          ? 'Signs the browser search tokens of the open transcript-search API; search only'
          : 'Signs the browser search tokens of one transcript-search API key (named by the start of its SHA-256); search only',
        actions: ['search'],
        indexes: [names.turns, names.sessions],
        expiresAt: null,
      },
    }));
    signers.set(id, { uid: key.uid, key: key.key });
  }
  return signers;
}

/** What `keyId` (16 hex digits) and OPEN_API_SIGNER look like; any other name is not a signer of ours. */
const SIGNER_ID = /^(?:[0-9a-f]{16}|open)$/;

async function listKeys(master: EngineClient): Promise<ListedKey[]> {
  const keys: ListedKey[] = [];
  for (let offset = 0; ; offset += KEYS_PAGE) {
    const page = await master.request<{ results: ListedKey[]; total: number }>('GET', '/keys', { query: { offset, limit: KEYS_PAGE } });
    keys.push(...page.results);
    if (page.results.length < KEYS_PAGE || keys.length >= page.total) return keys;
  }
}

/** Another process may have deleted it first. */
async function deleteKey(master: EngineClient, uid: string): Promise<void> {
  try {
    await master.request('DELETE', `/keys/${uid}`);
  } catch (error) {
    if (!(error instanceof EngineError && error.engineCode === 'api_key_not_found')) throw error;
  }
}
