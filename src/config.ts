import { z } from 'zod';
import { ConfigError } from './errors.js';

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

// URL.canParse alone accepts `localhost:7700` (scheme "localhost:"), a likely typo that would only
// fail later, at the first request, without naming the variable.
const optionalUrl = (name: string) =>
  optionalString.refine((value) => value === undefined || (/^https?:\/\/[^/]/i.test(value) && URL.canParse(value)), {
    message: `${name} must be an absolute http(s) URL such as http://127.0.0.1:7700`,
  });

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? String(fallback) : value.trim()))
    .pipe(z.coerce.number<string>().int(`expected a whole number from ${min} to ${max}`).min(min).max(max));

const positiveNumber = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? String(fallback) : value.trim()))
    .pipe(z.coerce.number<string>().positive('expected a number above 0').max(1_000_000));

/** The environment the service reads, with defaults from CONTRACT.md §2. */
export const Env = z.object({
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
  NAPSTER_API_KEY: optionalString,
  NAPSTER_BASE_URL: optionalUrl('NAPSTER_BASE_URL').transform(
    (value) => value ?? 'https://companion-api.napster.com',
  ),
  AGENTS_API_KEY: optionalString,
  AGENTS_BASE_URL: optionalUrl('AGENTS_BASE_URL'),
  AGENTS_LIST_PATH: optionalString.transform((value) => value ?? '/api/agents/agent-session/'),
  AGENTS_DETAIL_PATH: optionalString
    .transform((value) => value ?? '/api/agents/agent-session/{id}/')
    .refine((value) => value.includes('{id}'), { message: 'expected a path containing {id}' }),
  SOURCE_RPS: positiveNumber(10),
  SOURCE_CONCURRENCY: integer(1, 256, 4),
  SYNC_INTERVAL_SECONDS: integer(0, 31_536_000, 3600),
  API_KEYS_FILE: optionalString,
  LOG_LEVEL: optionalString
    .transform((value) => value ?? 'info')
    .pipe(z.enum(['debug', 'info', 'warn', 'error'])),
});
export type Env = z.infer<typeof Env>;

export type SourceName = 'napster' | 'agents';

export type Config = {
  /**
   * `apiKeyIsMaster`: the key may create narrower keys (MEILI_MASTER_KEY), or is used as it is (MEILI_API_KEY).
   * `publicUrl`: where browsers reach the engine with search tokens; the engine's own URL is never shown.
   */
  engine: { url?: string; apiKey?: string; apiKeyIsMaster: boolean; bin?: string; publicUrl?: string };
  dataDir: string;
  host: string;
  port: number;
  indexPrefix: string;
  napster?: { apiKey: string; baseUrl: string };
  agents?: { apiKey: string; baseUrl: string; listPath: string; detailPath: string };
  sourceRps: number;
  sourceConcurrency: number;
  syncIntervalSeconds: number;
  apiKeysFile?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
};

/** Parses the environment once; a bad value fails here with a message naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
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
    napster: e.NAPSTER_API_KEY ? { apiKey: e.NAPSTER_API_KEY, baseUrl: e.NAPSTER_BASE_URL } : undefined,
    agents:
      e.AGENTS_API_KEY && e.AGENTS_BASE_URL
        ? {
            apiKey: e.AGENTS_API_KEY,
            baseUrl: e.AGENTS_BASE_URL,
            listPath: e.AGENTS_LIST_PATH,
            detailPath: e.AGENTS_DETAIL_PATH,
          }
        : undefined,
    sourceRps: e.SOURCE_RPS,
    sourceConcurrency: e.SOURCE_CONCURRENCY,
    syncIntervalSeconds: e.SYNC_INTERVAL_SECONDS,
    apiKeysFile: e.API_KEYS_FILE,
    logLevel: e.LOG_LEVEL,
  };
}
