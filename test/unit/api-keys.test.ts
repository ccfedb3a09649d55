import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { ApiKeys, isLoopbackHost, loadApiKeys } from '../../src/http/api-keys.js';

const SEARCH_KEY = 'search-key-0123456789';
const ADMIN_KEY = 'admin-key-0123456789';

const dir = mkdtempSync(path.join(tmpdir(), 'api-keys-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function keysFile(content: string): string {
  const file = path.join(dir, `keys-${fileCount++}.json`);
  writeFileSync(file, content);
  return file;
}

function loadError(file: string): string {
  try {
    loadApiKeys(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('isLoopbackHost', () => {
  it.each(['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])('treats %s as loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '127.0.0.1.example.com', 'localhost.example.com', '1127.0.0.1', ''])(
    'treats %j as reachable from outside',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});

describe('ApiKeys', () => {
  const keys = new ApiKeys([
    { key: SEARCH_KEY, name: 'support', role: 'search', companions: ['comp_a'] },
    { key: ADMIN_KEY, name: 'ops', role: 'admin' },
  ]);

  it('finds the caller of a known key, with role and companion scope', () => {
    expect(keys.find(SEARCH_KEY)).toEqual({ name: 'support', role: 'search', companions: ['comp_a'], keyId: expect.any(String) });
    expect(keys.find(ADMIN_KEY)).toEqual({ name: 'ops', role: 'admin', companions: undefined, keyId: expect.any(String) });
  });

  it('names each key by the start of its SHA-256, never by the key itself', () => {
    const ids = keys.keyIds;
    expect(ids).toEqual([keys.find(SEARCH_KEY)!.keyId, keys.find(ADMIN_KEY)!.keyId]);
    expect(ids[0]).toBe(createHash('sha256').update(SEARCH_KEY).digest('hex').slice(0, 16));
    expect(new Set(ids).size).toBe(2);
  });

  it('finds nothing for unknown, prefixed, truncated or empty keys', () => {
    for (const presented of ['', 'nope', SEARCH_KEY.slice(0, -1), `${SEARCH_KEY} `, SEARCH_KEY.toUpperCase()]) {
      expect(keys.find(presented)).toBeUndefined();
    }
  });

  it('counts its keys', () => {
    expect(keys.size).toBe(2);
  });
});

describe('loadApiKeys', () => {
  it('reads a file of key entries', () => {
    const file = keysFile(
      JSON.stringify([
        { key: SEARCH_KEY, name: 'support', role: 'search', companions: ['comp_a', 'comp_b'] },
        { key: ADMIN_KEY, name: 'ops', role: 'admin' },
      ]),
    );
    const keys = loadApiKeys(file);
    expect(keys.size).toBe(2);
    expect(keys.find(SEARCH_KEY)).toMatchObject({ role: 'search', companions: ['comp_a', 'comp_b'] });
    expect(keys.find(ADMIN_KEY)).toMatchObject({ name: 'ops', role: 'admin' });
  });

  it('fails naming API_KEYS_FILE when the file is missing or not JSON', () => {
    expect(loadError(path.join(dir, 'missing.json'))).toMatch(/^API_KEYS_FILE: cannot read/);
    expect(loadError(keysFile('[{"key": '))).toMatch(/^API_KEYS_FILE: cannot read/);
  });

  it('fails on an empty list or an object instead of a list', () => {
    expect(loadError(keysFile('[]'))).toMatch(/^API_KEYS_FILE: /);
    expect(loadError(keysFile(JSON.stringify({ key: SEARCH_KEY, name: 'x', role: 'search' })))).toMatch(/^API_KEYS_FILE: \(root\)/);
  });

  it('fails on a key shorter than 16 characters, naming the entry', () => {
    const message = loadError(keysFile(JSON.stringify([{ key: 'short', name: 'x', role: 'search' }])));
    expect(message).toBe("API_KEYS_FILE: entry 0 ('x').key: keys must be at least 16 characters");
  });

  it('fails on an unknown role, a missing name or an empty companion list, naming the field', () => {
    expect(loadError(keysFile(JSON.stringify([{ key: SEARCH_KEY, name: 'x', role: 'owner' }])))).toMatch(/^API_KEYS_FILE: entry 0 \('x'\)\.role: /);
    expect(loadError(keysFile(JSON.stringify([{ key: SEARCH_KEY, role: 'search' }])))).toMatch(/^API_KEYS_FILE: entry 0\.name: /);
    const noCompanions = [{ key: ADMIN_KEY, name: 'ops', role: 'admin' }, { key: SEARCH_KEY, name: 'x', role: 'search', companions: [] }];
    expect(loadError(keysFile(JSON.stringify(noCompanions)))).toMatch(/^API_KEYS_FILE: entry 1 \('x'\)\.companions: an empty list would allow no companion/);
  });

  it('fails closed on any field it does not know, naming the entry: a misspelt scope never leaves a key unscoped', () => {
    for (const [field, value] of [['companion', ['comp_a']], ['tenant', ['t']], ['scopes', {}], ['Companions', ['comp_a']], ['externalClient', ['u']]] as const) {
      const entries = [{ key: ADMIN_KEY, name: 'ops', role: 'admin' }, { key: SEARCH_KEY, name: 'support', role: 'search', [field]: value }];
      expect(loadError(keysFile(JSON.stringify(entries))), field).toBe(
        `API_KEYS_FILE: entry 1 ('support'): unknown field '${field}': expected key, name, role, companions, tenants, externalClients`,
      );
    }
  });

  it('reads companion, tenant and external-client scopes', () => {
    const file = keysFile(JSON.stringify([{ key: SEARCH_KEY, name: 'support', role: 'search', companions: ['c'], tenants: ['t1', 't2'], externalClients: ['u'] }]));
    expect(loadApiKeys(file).find(SEARCH_KEY)).toMatchObject({ name: 'support', role: 'search', companions: ['c'], tenants: ['t1', 't2'], externalClients: ['u'] });
  });

  it('fails when a key is listed twice, naming the entry but not the key', () => {
    const file = keysFile(
      JSON.stringify([
        { key: SEARCH_KEY, name: 'first', role: 'search' },
        { key: SEARCH_KEY, name: 'second', role: 'admin' },
      ]),
    );
    const message = loadError(file);
    expect(message).toBe("API_KEYS_FILE: the key of 'second' is listed twice");
    expect(message).not.toContain(SEARCH_KEY);
  });
});
