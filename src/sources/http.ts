import PQueue from 'p-queue';
import { Agent, request, type Dispatcher } from 'undici';
import { SourceError, errorMessage } from '../errors.js';

/*
 * GETs JSON from a vendor API: every attempt goes through one p-queue that holds the source to
 * SOURCE_RPS (sliding window, because vendors enforce hard limits) and SOURCE_CONCURRENCY; network
 * errors, timeouts, 5xx and unparsable bodies are retried with exponential backoff and jitter; a 429
 * waits for its Retry-After. Other 4xx are final and reported as SourceError with the status.
 */

export type SourceHttpOptions = {
  baseUrl: string;
  headers: Record<string, string>;
  /** Requests per second, above 0. */
  rps: number;
  /** Requests in flight, from 1. */
  concurrency: number;
  /** Per-request time limit for headers and for the body, in ms. Default 30,000. */
  timeoutMs?: number;
  /** Attempts after the first. Default 6. */
  maxRetries?: number;
  /** First backoff step in ms, doubled each retry. Default 250. */
  backoffMs?: number;
  dispatcher?: Dispatcher;
};

/** How a vendor client is given its API: key, base URL, the source limits, and transport overrides. */
export type VendorHttpOptions = { apiKey: string; baseUrl: string; rps: number; concurrency: number; http?: Partial<SourceHttpOptions> };

/** A vendor API authenticated with `X-Api-Key` (both vendors' pages accept it). */
export function keyedSourceHttp(options: VendorHttpOptions): SourceHttp {
  return new SourceHttp({
    baseUrl: options.baseUrl,
    headers: { 'x-api-key': options.apiKey },
    rps: options.rps,
    concurrency: options.concurrency,
    ...options.http,
  });
}

export class SourceHttpError extends SourceError {
  override name = 'SourceHttpError';
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type SourceHttpStats = { requests: number; retries: number; rateLimited: number };

const RETRYABLE_STATUS = new Set([408, 425, 500, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 120_000;

export class SourceHttp {
  readonly stats: SourceHttpStats = { requests: 0, retries: 0, rateLimited: 0 };
  readonly #options: Required<Omit<SourceHttpOptions, 'dispatcher'>> & { dispatcher: Dispatcher };
  readonly #queue: PQueue;
  // Created here only when the caller passed none; closed with this instance.
  readonly #ownDispatcher: Agent | undefined;

  constructor(options: SourceHttpOptions) {
    if (!(options.rps > 0)) throw new TypeError(`Expected \`rps\` to be a number above 0, got ${options.rps}`);
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new TypeError(`Expected \`concurrency\` to be a whole number from 1 and up, got ${options.concurrency}`);
    }
    this.#ownDispatcher = options.dispatcher ? undefined : new Agent({ keepAliveTimeout: 10_000, connections: options.concurrency });
    this.#options = {
      timeoutMs: 30_000,
      maxRetries: 6,
      backoffMs: 250,
      ...options,
      dispatcher: options.dispatcher ?? this.#ownDispatcher!,
    };
    const intervalCap = Math.max(1, Math.floor(options.rps));
    this.#queue = new PQueue({
      concurrency: options.concurrency,
      intervalCap,
      interval: (1000 * intervalCap) / options.rps,
      strict: true,
    });
  }

  async close(): Promise<void> {
    await this.#ownDispatcher?.close();
  }

  /**
   * `target` is a path under the base URL or an absolute URL (vendors' `next` links). An absolute URL
   * must be on the base URL's origin: the vendor key goes with every request, and a link to another
   * host (a tampered page, a misconfigured proxy) would hand it to that host.
   */
  async getJson(target: string, query?: Record<string, string | number | undefined>): Promise<unknown> {
    const base = new URL(this.#options.baseUrl);
    const url = URL.canParse(target) ? new URL(target) : new URL(`${this.#options.baseUrl.replace(/\/+$/, '')}${target}`);
    if (url.origin !== base.origin) {
      throw new SourceHttpError(`Refusing to follow a link to ${url.protocol}//${url.host}: only ${base.origin} (the configured base URL) receives the API key`, undefined);
    }
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));

    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#queue.add(() => this.#attempt(url));
      if (outcome.ok) return outcome.value;
      if (!outcome.retryable || attempt >= this.#options.maxRetries) throw outcome.error;
      this.stats.retries++;
      const backoff = this.#options.backoffMs * 2 ** attempt;
      const wait = outcome.retryAfterMs ?? backoff / 2 + Math.random() * backoff;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async #attempt(
    url: URL,
  ): Promise<{ ok: true; value: unknown } | { ok: false; retryable: boolean; error: SourceHttpError; retryAfterMs?: number }> {
    this.stats.requests++;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json', ...this.#options.headers },
        dispatcher: this.#options.dispatcher,
        headersTimeout: this.#options.timeoutMs,
        bodyTimeout: this.#options.timeoutMs,
      });
    } catch (error) {
      return { ok: false, retryable: true, error: new SourceHttpError(`GET ${url.pathname} failed: ${errorMessage(error)}`, undefined, { cause: error }) };
    }
    const status = response.statusCode;
    if (status < 200 || status >= 300) {
      // An unread body keeps the socket busy; always drain it.
      await response.body.dump().catch(() => undefined);
      const error = new SourceHttpError(`GET ${url.pathname} answered ${status}`, status);
      if (status === 429) {
        this.stats.rateLimited++;
        return { ok: false, retryable: true, error, retryAfterMs: retryAfterMs(response.headers['retry-after']) };
      }
      return { ok: false, retryable: RETRYABLE_STATUS.has(status), error };
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      return { ok: false, retryable: true, error: new SourceHttpError(`GET ${url.pathname} body failed: ${errorMessage(error)}`, status, { cause: error }) };
    }
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (error) {
      // A truncated body is a transport fault far more often than a vendor sending bad JSON on purpose.
      return { ok: false, retryable: true, error: new SourceHttpError(`GET ${url.pathname} returned invalid JSON (${text.length} bytes)`, status, { cause: error }) };
    }
  }
}

function retryAfterMs(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return 1_000;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(Math.max(0, seconds * 1000), MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  return Number.isNaN(date) ? 1_000 : Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
}
