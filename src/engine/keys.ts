import { createHash } from 'node:crypto';
import { EngineError } from '../errors.js';
import type { EngineClient } from './client.js';
import { indexNames } from './indexes.js';

/*
 * With a master key the service only creates keys of its own and works with those: an indexing key
 * for everything it does after start-up, and (`serve`, token-signers.ts) search-only keys it never
 * calls the engine with, only signs tenant tokens with. The indexing key's uid is derived from
 * INDEX_PREFIX, so every start (and every CLI command) finds the key made before instead of piling up
 * new ones, and deployments sharing an engine under different prefixes each get keys limited to their
 * own indexes.
 */

export type EngineKey = { uid: string; key: string };
export type EngineKeys = { indexing: EngineKey };

/** `search`: the one token-signing key of versions before per-API-key signers, found only to be deleted. */
type KeyRole = 'indexing' | 'search';
type KeySpec = { name: string; description: string; actions: string[]; indexes: string[] };

type StoredKey = EngineKey & { actions: string[]; indexes: string[] };

function indexingKeySpec(prefix: string): KeySpec {
  const names = indexNames(prefix);
  return {
    name: `transcript-search ${prefix}indexing`,
    description: 'Used by transcript-search to write, delete and search its own indexes',
    // `tasks.delete`: a forget, retention and `redact --apply` remove the tasks that held what they erased.
    actions: ['search', 'documents.*', 'indexes.get', 'tasks.get', 'tasks.delete', 'stats.get'],
    indexes: [names.turns, names.sessions, names.state],
  };
}

/** A fixed UUID (the engine wants one) per prefix and role. */
export function engineKeyUid(prefix: string, role: KeyRole): string {
  const hex = createHash('sha256').update(`transcript-search:${role}:${prefix}`).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Finds or creates the indexing key with the master key; idempotent, and safe when two processes race. */
export async function provisionEngineKeys(master: EngineClient, prefix: string): Promise<EngineKeys> {
  return { indexing: await ensureKey(master, engineKeyUid(prefix, 'indexing'), indexingKeySpec(prefix)) };
}

async function ensureKey(master: EngineClient, uid: string, spec: KeySpec): Promise<EngineKey> {
  const existing = await getKey(master, uid);
  if (existing && sameSet(existing.actions, spec.actions) && sameSet(existing.indexes, spec.indexes)) {
    return { uid, key: existing.key };
  }
  // The engine cannot change a key's actions or indexes; a key from an older version is replaced.
  // Its secret is derived from the master key and the uid, so the replacement has the same value.
  if (existing) await master.request('DELETE', `/keys/${uid}`);
  try {
    const created = await master.request<StoredKey>('POST', '/keys', { body: { uid, ...spec, expiresAt: null } });
    return { uid, key: created.key };
  } catch (error) {
    if (!(error instanceof EngineError && error.engineCode === 'api_key_already_exists')) throw error;
    const raced = await getKey(master, uid);
    if (!raced) throw error;
    return { uid, key: raced.key };
  }
}

async function getKey(master: EngineClient, uid: string): Promise<StoredKey | undefined> {
  try {
    return await master.request<StoredKey>('GET', `/keys/${uid}`);
  } catch (error) {
    if (error instanceof EngineError && error.engineCode === 'api_key_not_found') return undefined;
    throw error;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}
