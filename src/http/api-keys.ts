import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** API_KEYS_FILE entries (CONTRACT.md §2). */
export const ApiKeyEntry = z.object({
  key: z.string().min(16, 'keys must be at least 16 characters'),
  name: z.string().min(1),
  role: z.enum(['search', 'admin']),
  companions: z.array(z.string().min(1)).min(1).optional(),
});
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>;

/**
 * `keyId`: names the key without revealing it (the start of its SHA-256), for the engine key that
 * signs its search tokens; absent for the open API's caller.
 */
export type Caller = { name: string; role: 'search' | 'admin'; companions?: readonly string[]; keyId?: string };

/**
 * Keys are looked up by their SHA-256, so comparing a presented key costs the same whatever it
 * shares with a real one.
 */
export class ApiKeys {
  readonly #byHash = new Map<string, Caller>();
  /** Of every key, in the file's order. */
  readonly keyIds: readonly string[];

  constructor(entries: ApiKeyEntry[]) {
    for (const entry of entries) {
      this.#byHash.set(hashKey(entry.key), { name: entry.name, role: entry.role, companions: entry.companions, keyId: keyIdOf(entry.key) });
    }
    this.keyIds = entries.map((entry) => keyIdOf(entry.key));
  }

  get size(): number {
    return this.#byHash.size;
  }

  find(presented: string): Caller | undefined {
    return this.#byHash.get(hashKey(presented));
  }
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** 64 bits of the key's hash: unique among any real set of keys, and no help in guessing one. */
export function keyIdOf(key: string): string {
  return hashKey(key).slice(0, 16);
}

export function loadApiKeys(file: string): ApiKeys {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`API_KEYS_FILE: cannot read ${file} as JSON: ${(error as Error).message}`);
  }
  const parsed = z.array(ApiKeyEntry).min(1).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`API_KEYS_FILE: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const entry of parsed.data) {
    if (seen.has(entry.key)) throw new ConfigError(`API_KEYS_FILE: the key of '${entry.name}' is listed twice`);
    seen.add(entry.key);
  }
  return new ApiKeys(parsed.data);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
