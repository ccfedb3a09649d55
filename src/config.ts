import { z } from 'zod';
import { DEFAULT_RETRY_SECONDS } from './trackers/deliver.js';
import { integer, optionalString, optionalUrl, positiveNumber } from './env-values.js';
import { ConfigError } from './errors.js';
import type { RedactSettings } from './redact/redactor.js';
import { redactSettings } from './redact/settings.js';
import { configuredSource, type ConfiguredSource, type SourceRegistry } from './sources/descriptor.js';
import { SOURCES, type SourceName } from './sources/registry.js';

/** The service's own variables, with defaults from CONTRACT.md §2; each source adds its own (registry.ts). */
const SERVICE_ENV = {
  MEILI_URL: optionalUrl('MEILI_URL'),
  MEILI_MASTER_KEY: optionalString,
  MEILI_API_KEY: optionalString,
  MEILI_BIN: optionalString,
  MEILI_PUBLIC_URL: optionalUrl('MEILI_PUBLIC_URL'),
  DATA_DIR: optionalString.transform((value) => value ?? './data'),
  HOST: optionalString.transform((value) => value ?? '127.0.0.1'),
  PORT: integer(0, 65_535, 3000),
  INDEX_PREFIX: optionalString
    .transform((value) => value ?? '')
    .refine((value) => /^[A-Za-z0-9_-]{0,64}$/.test(value), {
      message: 'expected up to 64 characters from A-Z a-z 0-9 _ -',
    }),
  SOURCE_RPS: positiveNumber(10),
  SOURCE_CONCURRENCY: integer(1, 256, 4),
  SYNC_INTERVAL_SECONDS: integer(0, 31_536_000, 3600),
  WEBHOOK_RETRY_SECONDS: integer(1, 86_400, DEFAULT_RETRY_SECONDS),
  LEASE_SECONDS: integer(2, 3_600, 60),
  API_KEYS_FILE: optionalString,
  LOG_LEVEL: optionalString
    .transform((value) => value ?? 'info')
    .pipe(z.enum(['debug', 'info', 'warn', 'error'])),
  // Read and checked by redactSettings, which names the variable in its errors.
  REDACT: optionalString,
  REDACT_PATTERNS_FILE: optionalString,
  RETENTION_DAYS: optionalString
    .refine((value) => value === undefined || (/^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 36_500), {
      message: 'expected a whole number of days from 1 to 36500 (unset keeps sessions forever)',
    })
    .transform((value) => (value === undefined ? null : Number(value))),
};

/** Every variable the service reads: its own and each source's. */
export function envSchema(registry: SourceRegistry) {
  const sourceEnv: Record<string, z.core.$ZodType> = {};
  for (const source of registry.sources) {
    for (const [variable, schema] of Object.entries(source.env)) {
      // Two parts reading one variable would each see the other's value: a programming error.
      if (variable in SERVICE_ENV || variable in sourceEnv) throw new Error(`${variable} is read twice (again by source ${source.name})`);
      sourceEnv[variable] = schema;
    }
  }
  return z.object({ ...sourceEnv, ...SERVICE_ENV });
}

export const Env = envSchema(SOURCES);

export type Config<Name extends string = SourceName> = {
  /**
   * `apiKeyIsMaster`: the key may create narrower keys (MEILI_MASTER_KEY), or is used as it is (MEILI_API_KEY).
   * `publicUrl`: where browsers reach the engine with search tokens; the engine's own URL is never shown.
   */
  engine: { url?: string; apiKey?: string; apiKeyIsMaster: boolean; bin?: string; publicUrl?: string };
  dataDir: string;
  host: string;
  port: number;
  indexPrefix: string;
  /** The sources whose variables are set, in the registry's order. */
  sources: ConfiguredSource<Name>[];
  sourceRps: number;
  sourceConcurrency: number;
  syncIntervalSeconds: number;
  /** A failed webhook is retried after this long, then twice as long each time. */
  webhookRetrySeconds: number;
  /** How long a process's lease on a source's sync, or on tracker work, lasts unless renewed (engine/lease.ts). */
  leaseSeconds: number;
  apiKeysFile?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** What is redacted before anything is written, logged or kept (REDACT, REDACT_PATTERNS_FILE); no kinds and no patterns: nothing. */
  redaction: RedactSettings;
  /** Sessions created longer ago than this are deleted on every sync pass and not fetched again; null keeps them. */
  retentionDays: number | null;
};

/**
 * Parses the environment once; a bad value fails here with a message naming the variable. `registry`
 * is the sources' (registry.ts) unless a test brings its own.
 */
export function loadConfig(env: Record<string, string | undefined>): Config;
export function loadConfig<Name extends string>(env: Record<string, string | undefined>, registry: SourceRegistry<Name>): Config<Name>;
export function loadConfig(env: Record<string, string | undefined>, registry: SourceRegistry = SOURCES): Config<string> {
  const parsed = (registry === SOURCES ? Env : envSchema(registry)).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const sources: ConfiguredSource[] = [];
  for (const source of registry.sources) {
    const settings = source.settings(e, (variable, message) => problems.push(`${variable}: ${message}`));
    if (settings !== undefined) sources.push(configuredSource(source, settings));
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  const redaction = redactSettings(e);
  return {
    engine: {
      url: e.MEILI_URL,
      apiKey: e.MEILI_MASTER_KEY ?? e.MEILI_API_KEY,
      apiKeyIsMaster: e.MEILI_MASTER_KEY !== undefined,
      bin: e.MEILI_BIN,
      publicUrl: e.MEILI_PUBLIC_URL,
    },
    dataDir: e.DATA_DIR,
    host: e.HOST,
    port: e.PORT,
    indexPrefix: e.INDEX_PREFIX,
    sources,
    sourceRps: e.SOURCE_RPS,
    sourceConcurrency: e.SOURCE_CONCURRENCY,
    syncIntervalSeconds: e.SYNC_INTERVAL_SECONDS,
    webhookRetrySeconds: e.WEBHOOK_RETRY_SECONDS,
    leaseSeconds: e.LEASE_SECONDS,
    apiKeysFile: e.API_KEYS_FILE,
    logLevel: e.LOG_LEVEL,
    redaction,
    retentionDays: e.RETENTION_DAYS,
  };
}
