import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { errorMessage, NotFoundError } from '../errors.js';
import type { DeliveryRecord, TrackerDeps } from './evaluate.js';
import { checkWebhookUrl, WebhookUrlError } from './webhook-url.js';

/*
 * Webhook deliveries: pending delivery records (evaluate.ts) are POSTed to their tracker's URL, signed
 * with its secret. A 2xx ends a delivery; anything else is retried with exponential backoff (base ×
 * 2^attempt, at most an hour, with jitter) until MAX_ATTEMPTS, after which it is dead: kept in the
 * log with its body and last error. The records live in the engine, so a restart resumes them: at
 * least once, and the delivery id in the body and in `X-Delivery-Id` lets the receiver drop repeats.
 * Redirects are not followed: a receiver that moved is an operator's change to make.
 */

const MAX_ATTEMPTS = 8;
/** WEBHOOK_RETRY_SECONDS' default: retries after about 30 s, 1, 2, 4… minutes, the last one about an hour after the first. */
export const DEFAULT_RETRY_SECONDS = 30;
const MAX_DELAY_MS = 60 * 60_000;
const TIMEOUT_MS = 10_000;
const BATCH = 20;

export type DeliveryOptions = {
  /** The first retry's delay; each next one doubles it (WEBHOOK_RETRY_SECONDS). */
  retryBaseMs: number;
  /** Addresses a webhook may never be sent to: the engine's URLs. */
  engineUrls: readonly string[];
};

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookDeliverer {
  #running: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly deps: TrackerDeps,
    private readonly options: DeliveryOptions,
  ) {}

  /**
   * Sends every delivery that is due, until none is; returns how many were attempted. One run at a
   * time. `signal` (the trackers lease lost) stops it between batches.
   */
  deliverDue(signal?: AbortSignal): Promise<number> {
    const run = this.#running.then(() => this.#deliverAll(signal));
    this.#running = run.catch(() => 0);
    return run;
  }

  async #deliverAll(signal: AbortSignal | undefined): Promise<number> {
    let attempted = 0;
    while (!signal?.aborted) {
      const { hits } = await this.deps.engine.search<DeliveryRecord>(this.deps.names.state, {
        filter: `kind = "delivery" AND status = "pending" AND nextAttemptAt <= ${Date.now()}`,
        sort: ['nextAttemptAt:asc'],
        page: 1,
        hitsPerPage: BATCH,
      });
      if (hits.length === 0) return attempted;
      const updates = await Promise.all(hits.map((delivery) => this.#attempt(delivery)));
      await this.deps.engine.waitForTask(await this.deps.engine.addDocuments(this.deps.names.state, updates));
      attempted += hits.length;
    }
    return attempted;
  }

  /** One attempt; returns the record as it now stands. */
  async #attempt(delivery: DeliveryRecord): Promise<DeliveryRecord> {
    const now = Date.now();
    const attempts = delivery.attempts + 1;
    let outcome: { ok: true; status: number } | { ok: false; status: number | null; error: string; final?: boolean };
    try {
      const tracker = await this.deps.store.get(delivery.trackerId);
      if (tracker.webhookUrl === null) throw new Error('the tracker no longer has a webhook URL');
      const url = await checkWebhookUrl(tracker.webhookUrl, this.options.engineUrls);
      outcome = await post(url, delivery, tracker.secret);
    } catch (error) {
      // A tracker deleted since (its records go with it) or a URL no longer allowed: retrying cannot help.
      outcome = { ok: false, status: null, error: errorMessage(error), final: error instanceof NotFoundError || error instanceof WebhookUrlError };
    }
    const base = { ...delivery, attempts, lastAttemptAt: now, lastStatus: outcome.status };
    if (outcome.ok) {
      this.deps.observer?.delivered('delivered');
      // Delivered: the words it carried are not kept in the log.
      return { ...base, status: 'delivered', deliveredAt: now, lastError: null, body: null };
    }
    if (outcome.final || attempts >= MAX_ATTEMPTS) {
      this.deps.observer?.delivered('dead');
      this.deps.log.warn('webhook delivery given up', { trackerId: delivery.trackerId, deliveryId: delivery.id, attempts, error: outcome.error });
      return { ...base, status: 'dead', lastError: outcome.error };
    }
    this.deps.observer?.delivered('retry');
    const delay = Math.min(this.options.retryBaseMs * 2 ** (attempts - 1), MAX_DELAY_MS) * (0.8 + Math.random() * 0.4);
    return { ...base, lastError: outcome.error, nextAttemptAt: now + Math.round(delay) };
  }
}

async function post(url: string, delivery: DeliveryRecord, secret: string): Promise<{ ok: true; status: number } | { ok: false; status: number; error: string }> {
  const body = delivery.body ?? '';
  const response = await request(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'transcript-search webhooks',
      'x-delivery-id': delivery.id,
      'x-signature-256': signature(secret, body),
    },
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  // The answer's body is not read, only drained, so a receiver cannot make it large.
  await response.body.dump();
  if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true, status: response.statusCode };
  return { ok: false, status: response.statusCode, error: `HTTP ${response.statusCode}` };
}
