import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { Scope } from '../model.js';

const scopeList = (what: string) => z.array(z.string().min(1, `${what} ids must not be empty`)).min(1, `an empty list would allow no ${what} at all; leave the field out for any`).optional();

/**
 * API_KEYS_FILE entries (CONTRACT.md §2). Strict: a misspelt scope (`"companion"`, `"tenant"`) would
 * otherwise be dropped and leave the key unscoped, so any field not named here is an error.
 */
export const ApiKeyEntry = z.strictObject({
  key: z.string().min(16, 'keys must be at least 16 characters'),
  name: z.string().min(1),
  role: z.enum(['search', 'admin']),
  companions: scopeList('companion'),
  tenants: scopeList('tenant'),
  externalClients: scopeList('external client'),
});
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>;

/**
 * Who is calling: the key's name, role and scope (every kind present narrows, exactly). `keyId` names
 * the key without revealing it (the start of its SHA-256), for the engine key that signs its search
 * tokens; absent for the open API's caller.
 */
export type Caller = Scope & { name: string; role: 'search' | 'admin'; keyId?: string };

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
      const { key, ...caller } = entry;
      this.#byHash.set(hashKey(key), { ...caller, keyId: keyIdOf(key) });
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
    const [position, ...field] = issue.path;
    const entry = typeof position === 'number' ? (raw as Array<{ name?: unknown }>)[position] : undefined;
    const named = typeof entry?.name === 'string' ? ` ('${entry.name.slice(0, 60)}')` : '';
    const where = typeof position === 'number' ? `entry ${position}${named}${field.length ? `.${field.join('.')}` : ''}` : '(root)';
    const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `'${key}'`).join(', ')}: expected key, name, role, companions, tenants, externalClients` : issue.message;
    throw new ConfigError(`API_KEYS_FILE: ${where}: ${message}`);
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
