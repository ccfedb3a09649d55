import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

/** The configured sources' settings by name, as read from the environment. */
function sourceSettings(config: Config): Record<string, unknown> {
  return Object.fromEntries(config.sources.map((source) => [source.name, source.settings]));
}

function configError(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults (CONTRACT §2)', () => {
  it('runs an embedded engine on 127.0.0.1:3000 with no sources when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      engine: { url: undefined, apiKey: undefined, apiKeyIsMaster: false, bin: undefined, publicUrl: undefined },
      dataDir: './data',
      host: '127.0.0.1',
      port: 3000,
      indexPrefix: '',
      sources: [],
      sourceRps: 10,
      sourceConcurrency: 4,
      syncIntervalSeconds: 3600,
      webhookRetrySeconds: 30,
      leaseSeconds: 60,
      apiKeysFile: undefined,
      logLevel: 'info',
      redaction: { kinds: [], patterns: [] },
      retentionDays: null,
    });
  });

  it('treats empty and blank variables as unset', () => {
    expect(loadConfig({ PORT: '', HOST: '  ', DATA_DIR: '', LOG_LEVEL: '', SOURCE_RPS: ' ', MEILI_URL: '' })).toEqual(loadConfig({}));
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' })).toEqual(loadConfig({}));
  });
});

describe('loadConfig values', () => {
  it('reads every variable', () => {
    const config = loadConfig({
      MEILI_URL: 'http://127.0.0.1:7700',
      MEILI_API_KEY: 'search-key',
      MEILI_BIN: '/opt/meilisearch',
      MEILI_PUBLIC_URL: 'https://search.example.com',
      DATA_DIR: '/var/lib/ts',
      HOST: '0.0.0.0',
      PORT: '8080',
      INDEX_PREFIX: 'test_',
      NAPSTER_API_KEY: 'nk',
      NAPSTER_BASE_URL: 'http://127.0.0.1:9000',
      AGENTS_API_KEY: 'ak',
      AGENTS_BASE_URL: 'https://agents.example.test',
      AGENTS_LIST_PATH: '/sessions/',
      AGENTS_DETAIL_PATH: '/sessions/{id}',
      SOURCE_RPS: '2.5',
      SOURCE_CONCURRENCY: '8',
      SYNC_INTERVAL_SECONDS: '0',
      WEBHOOK_RETRY_SECONDS: '5',
      LEASE_SECONDS: '10',
      API_KEYS_FILE: '/etc/ts/keys.json',
      LOG_LEVEL: 'debug',
    });
    expect(sourceSettings(config)).toEqual({
      napster: { apiKey: 'nk', baseUrl: 'http://127.0.0.1:9000' },
      agents: {
        apiKey: 'ak',
        baseUrl: 'https://agents.example.test',
        listPath: '/sessions/',
        detailPath: '/sessions/{id}',
      },
    });
    expect(config.sources.map((source) => source.name)).toEqual(['napster', 'agents']);
    expect({ ...config, sources: [] }).toEqual({
      engine: { url: 'http://127.0.0.1:7700', apiKey: 'search-key', apiKeyIsMaster: false, bin: '/opt/meilisearch', publicUrl: 'https://search.example.com' },
      dataDir: '/var/lib/ts',
      host: '0.0.0.0',
      port: 8080,
      indexPrefix: 'test_',
      sources: [],
      sourceRps: 2.5,
      sourceConcurrency: 8,
      syncIntervalSeconds: 0,
      webhookRetrySeconds: 5,
      leaseSeconds: 10,
      apiKeysFile: '/etc/ts/keys.json',
      logLevel: 'debug',
      redaction: { kinds: [], patterns: [] },
      retentionDays: null,
    });
  });

  it('prefers MEILI_MASTER_KEY over MEILI_API_KEY', () => {
    expect(loadConfig({ MEILI_MASTER_KEY: 'master', MEILI_API_KEY: 'other' }).engine).toMatchObject({ apiKey: 'master', apiKeyIsMaster: true });
  });

  it('trims surrounding whitespace from values', () => {
    const config = loadConfig({ PORT: ' 8080 ', NAPSTER_API_KEY: ' nk\n' });
    expect(config.port).toBe(8080);
    expect(sourceSettings(config)).toMatchObject({ napster: { apiKey: 'nk' } });
  });

  it('enables Napster with its default base URL when only the key is set', () => {
    expect(sourceSettings(loadConfig({ NAPSTER_API_KEY: 'nk' }))).toEqual({ napster: { apiKey: 'nk', baseUrl: 'https://companion-api.napster.com' } });
  });

  it('enables agents with both key and base URL set, with the default paths', () => {
    expect(sourceSettings(loadConfig({ AGENTS_API_KEY: 'ak', AGENTS_BASE_URL: 'http://127.0.0.1:9001' }))).toEqual({
      agents: {
        apiKey: 'ak',
        baseUrl: 'http://127.0.0.1:9001',
        listPath: '/api/agents/agent-session/',
        detailPath: '/api/agents/agent-session/{id}/',
      },
    });
  });

  it('leaves the agents paths alone when the source is off', () => {
    expect(loadConfig({ AGENTS_LIST_PATH: '/sessions/' }).sources).toEqual([]);
  });

  it('accepts the bounds: port 0 and 65535, concurrency 1, sync interval 0', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65_535);
    expect(loadConfig({ SOURCE_CONCURRENCY: '1' }).sourceConcurrency).toBe(1);
    expect(loadConfig({ SYNC_INTERVAL_SECONDS: '0' }).syncIntervalSeconds).toBe(0);
  });
});

describe('loadConfig rejections name the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['SOURCE_RPS', '0'],
    ['SOURCE_RPS', '-3'],
    ['SOURCE_RPS', 'fast'],
    ['SOURCE_CONCURRENCY', '0'],
    ['SOURCE_CONCURRENCY', '1.5'],
    ['SOURCE_CONCURRENCY', '1000'],
    ['SYNC_INTERVAL_SECONDS', '-1'],
    ['SYNC_INTERVAL_SECONDS', 'hourly'],
    ['WEBHOOK_RETRY_SECONDS', '0'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['INDEX_PREFIX', 'has space'],
    ['INDEX_PREFIX', 'dots.not.allowed'],
    ['INDEX_PREFIX', 'x'.repeat(65)],
    ['AGENTS_DETAIL_PATH', '/api/agents/agent-session/'],
    ['MEILI_URL', 'not a url'],
    ['MEILI_URL', 'localhost:7700'],
    ['MEILI_URL', '127.0.0.1:7700'],
    ['MEILI_URL', 'ftp://127.0.0.1:7700'],
    ['MEILI_PUBLIC_URL', 'search.example.com'],
    ['NAPSTER_BASE_URL', 'companion-api.napster.com'],
    ['AGENTS_BASE_URL', 'http//agents.example.test'],
  ])('%s=%j fails with a message naming the variable', (name, value) => {
    const message = configError({ [name]: value });
    expect(message).toMatch(/^Invalid configuration: /);
    expect(message).toContain(`${name}: `);
  });

  it('names every invalid variable at once', () => {
    const message = configError({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(message).toContain('PORT: ');
    expect(message).toContain('LOG_LEVEL: ');
  });

  it('refuses AGENTS_API_KEY without AGENTS_BASE_URL, naming the missing variable', () => {
    const message = configError({ AGENTS_API_KEY: 'ak' });
    expect(message).toMatch(/^Invalid configuration: AGENTS_BASE_URL: required when AGENTS_API_KEY is set/);
  });

  it('refuses AGENTS_BASE_URL without AGENTS_API_KEY, naming the missing variable', () => {
    const message = configError({ AGENTS_BASE_URL: 'http://127.0.0.1:9001', NAPSTER_API_KEY: 'nk' });
    expect(message).toMatch(/^Invalid configuration: AGENTS_API_KEY: required when AGENTS_BASE_URL is set/);
  });

  it('says what a URL must look like', () => {
    expect(configError({ MEILI_URL: 'localhost:7700' })).toContain('MEILI_URL must be an absolute http(s) URL');
  });
});

describe('REDACT, REDACT_PATTERNS_FILE and RETENTION_DAYS', () => {
  const patternsFile = (content: unknown) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'redact-patterns-'));
    const file = path.join(dir, 'patterns.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('reads a comma list of kinds, or all', () => {
    expect(loadConfig({ REDACT: 'email, CARD' }).redaction.kinds).toEqual(['email', 'card']);
    expect(loadConfig({ REDACT: 'all' }).redaction.kinds).toEqual(['email', 'phone', 'card', 'iban', 'ssn', 'ip']);
    expect(loadConfig({ REDACT: ' ' }).redaction.kinds).toEqual([]);
  });

  it('names REDACT and the kinds it knows for an unknown kind', () => {
    expect(configError({ REDACT: 'email,names' })).toBe("REDACT: unknown kind 'names'; expected a comma list of email, phone, card, iban, ssn, ip, or all");
  });

  it('reads custom patterns, compiled to find every occurrence', () => {
    const file = patternsFile([{ name: 'ticket', pattern: 'TCK-\\d{6}', placeholder: '[TICKET]' }]);
    const [pattern] = loadConfig({ REDACT_PATTERNS_FILE: file }).redaction.patterns;
    expect(pattern).toMatchObject({ name: 'ticket', placeholder: '[TICKET]' });
    expect('TCK-123456 and TCK-654321'.match(pattern!.pattern)).toEqual(['TCK-123456', 'TCK-654321']);
  });

  it.each([
    ['not JSON', '[{', /^REDACT_PATTERNS_FILE: cannot read .* as JSON/],
    ['a missing field', [{ name: 'x', pattern: 'a' }], /^REDACT_PATTERNS_FILE: entry 0.placeholder: .*expected \[\{"name","pattern","placeholder"\}\]/],
    ['an unknown field', [{ name: 'x', pattern: 'a', placeholder: '[X]', flags: 'i' }], /^REDACT_PATTERNS_FILE: entry 0: Unrecognized key: "flags"/],
    ['a built-in name', [{ name: 'email', pattern: 'a', placeholder: '[X]' }], /^REDACT_PATTERNS_FILE: entry 0.name: is a built-in kind/],
    ['a broken expression', [{ name: 'x', pattern: '(a', placeholder: '[X]' }], /^REDACT_PATTERNS_FILE: entry 0 \('x'\): not a valid regular expression/],
    ['an expression matching nothing at all', [{ name: 'x', pattern: 'a*', placeholder: '[X]' }], /the pattern matches the empty string/],
    ['a placeholder the rules would redact again', [{ name: 'x', pattern: '\\d{4}', placeholder: 'ID 1234' }], /the placeholder of 'x' \(ID 1234\) would itself be redacted as x/],
  ])('refuses a patterns file with %s, naming the variable', (_what, content, message) => {
    expect(configError({ REDACT_PATTERNS_FILE: patternsFile(content) })).toMatch(message);
  });

  it('reads RETENTION_DAYS as whole days from 1, unset keeping everything', () => {
    expect(loadConfig({ RETENTION_DAYS: '30' }).retentionDays).toBe(30);
    expect(loadConfig({}).retentionDays).toBeNull();
    for (const bad of ['0', '-1', '1.5', 'thirty', '36501']) {
      expect(configError({ RETENTION_DAYS: bad })).toBe('Invalid configuration: RETENTION_DAYS: expected a whole number of days from 1 to 36500 (unset keeps sessions forever)');
    }
  });
});
