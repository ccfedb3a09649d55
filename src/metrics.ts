import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineClient, EngineTask } from './engine/client.js';
import type { RetentionRemoved } from './ingest/retention.js';
import { SYNC_COUNTS, emptyCounts, type SyncCount, type SyncCounts } from './ingest/sync-counts.js';
import type { RedactionCounts } from './redact/kinds.js';

/*
 * What `GET /metrics` exposes, in one registry per instance: tests build many apps in one process,
 * and prom-client's global default registry would make them collide on metric names.
 *
 * Labels are bounded on purpose: HTTP metrics are labelled with the route pattern
 * (`/v1/sessions/:id`), never the raw path, and sync metrics with the source name.
 */

const SYNC_HELP: Record<SyncCount, string> = {
  listed: 'Sessions the sources listed to sync passes',
  sessions: 'Sessions indexed by sync passes',
  turns: 'Turns (utterances) indexed by sync passes',
  unchanged: 'Listed sessions already indexed and closed, left as they were',
  skipped: 'Sessions skipped as malformed (recorded with the reason in GET /v1/sync)',
  failed: 'Sessions that could not be loaded from the source (retried by the next pass)',
  vanished: 'Sessions listed, then gone from the source when loaded',
  deleted: 'Indexed sessions removed because their source no longer has them',
  refused: 'Sessions not written because their client is forgotten',
  expired: 'Listed sessions older than RETENTION_DAYS, neither fetched nor written',
  requests: 'Requests sync passes made to the sources',
  retries: 'Requests to the source that were retried (5xx, 429, network errors)',
};

/** Searches answer in milliseconds; pushes with `wait=true` and engine outages take seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();

  readonly #requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });

  readonly #latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to its response, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly #sync = Object.fromEntries(
    SYNC_COUNTS.map((count) => [
      count,
      new Counter({
        name: `transcript_search_sync_${count}_total`,
        help: SYNC_HELP[count],
        labelNames: ['source'],
        registers: [this.registry],
      }),
    ]),
  ) as Record<SyncCount, Counter<'source'>>;

  readonly #syncRuns = new Counter({
    name: 'transcript_search_sync_runs_total',
    help: 'Sync passes finished, by source and result (success, error, interrupted)',
    labelNames: ['source', 'result'],
    registers: [this.registry],
  });

  readonly #syncRunning = new Gauge({
    name: 'transcript_search_sync_running',
    help: '1 while a sync pass of the source runs',
    labelNames: ['source'],
    registers: [this.registry],
  });

  readonly #lastSuccess = new Gauge({
    name: 'transcript_search_sync_last_success_timestamp_seconds',
    help: 'When the last sync pass of the source that indexed everything it listed finished (Unix seconds)',
    labelNames: ['source'],
    registers: [this.registry],
  });

  readonly #taskFailures = new Counter({
    name: 'transcript_search_engine_task_failures_total',
    help: 'Engine tasks this service waited for that failed or were canceled, by task type',
    labelNames: ['type'],
    registers: [this.registry],
  });

  readonly #trackerEvaluations = new Counter({
    name: 'transcript_search_tracker_evaluations_total',
    help: 'Arrivals of documents (write batches) evaluated against the trackers',
    registers: [this.registry],
  });

  readonly #trackerEvaluationSeconds = new Histogram({
    name: 'transcript_search_tracker_evaluation_seconds',
    help: 'Time to evaluate every tracker on one arrival of documents, and record what matched',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly #trackerMatches = new Counter({
    name: 'transcript_search_tracker_matches_total',
    help: 'New tracker matches (a turn counts once per tracker, however often its session is written)',
    registers: [this.registry],
  });

  readonly #webhookDeliveries = new Counter({
    name: 'transcript_search_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by outcome: delivered, retry (failed, tried again later), dead (given up)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly #redactions = new Counter({
    name: 'transcript_search_redactions_total',
    help: 'Spans redacted before writing (REDACT, REDACT_PATTERNS_FILE), by kind and by way in: a source name (sync) or push',
    labelNames: ['kind', 'via'],
    registers: [this.registry],
  });

  readonly #retentionRemoved = new Counter({
    name: 'transcript_search_retention_removed_total',
    help: 'What RETENTION_DAYS sweeps deleted: sessions, turns, trackerMatches, deliveries',
    labelNames: ['what'],
    registers: [this.registry],
  });

  readonly #engineRestarts = new Counter({
    name: 'transcript_search_engine_restarts_total',
    help: 'Times the embedded engine exited on its own and was started again',
    registers: [this.registry],
  });

  /** `processMetrics`: also CPU, memory, event-loop lag and GC of this process (for `serve`). */
  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  observeRequest(request: { method: string; route: string; status: number; seconds: number }): void {
    const labels = { method: request.method, route: request.route, status: String(request.status) };
    this.#requests.inc(labels);
    this.#latency.observe(labels, request.seconds);
  }

  /** Counts the failed tasks this client, and every `patient()` view of it, waits for. */
  observeEngine(engine: EngineClient): void {
    engine.onTaskFailed((task: EngineTask) => this.#taskFailures.inc({ type: task.type }));
  }

  /**
   * Starts following one sync pass. `progress` takes running totals, as the pipeline reports them,
   * and adds what grew since the last call, so counters move during a long pass, not only at its end.
   */
  syncPass(source: string): {
    progress(totals: Partial<SyncCounts> & { redactions?: RedactionCounts }): void;
    finished(result: 'success' | 'error' | 'interrupted'): void;
  } {
    const reported = emptyCounts();
    const redacted: RedactionCounts = {};
    this.#syncRunning.set({ source }, 1);
    return {
      progress: (totals) => {
        for (const count of SYNC_COUNTS) {
          const grown = (totals[count] ?? reported[count]) - reported[count];
          if (grown > 0) {
            this.#sync[count].inc({ source }, grown);
            reported[count] += grown;
          }
        }
        for (const [kind, total] of Object.entries(totals.redactions ?? {})) {
          const grown = total - (redacted[kind] ?? 0);
          if (grown > 0) {
            this.#redactions.inc({ kind, via: source }, grown);
            redacted[kind] = total;
          }
        }
      },
      finished: (result) => {
        this.#syncRunning.set({ source }, 0);
        this.#syncRuns.inc({ source, result });
        if (result === 'success') this.#lastSuccess.set({ source }, Date.now() / 1000);
      },
    };
  }

  /** What a push redacted. */
  redacted(redactions: Readonly<RedactionCounts>, via: 'push'): void {
    for (const [kind, count] of Object.entries(redactions)) if (count > 0) this.#redactions.inc({ kind, via }, count);
  }

  retentionSwept(removed: RetentionRemoved): void {
    for (const [what, count] of Object.entries(removed)) if (count > 0) this.#retentionRemoved.inc({ what }, count);
  }

  /** TrackerObserver (trackers/evaluate.ts). */
  evaluated(seconds: number): void {
    this.#trackerEvaluations.inc();
    this.#trackerEvaluationSeconds.observe(seconds);
  }

  matched(turns: number): void {
    this.#trackerMatches.inc(turns);
  }

  delivered(outcome: 'delivered' | 'retry' | 'dead'): void {
    this.#webhookDeliveries.inc({ outcome });
  }

  engineRestarted(): void {
    this.#engineRestarts.inc();
  }

  /** Seeds the last success from the stored sync status, so a restart does not look like a stalled sync. */
  recordLastSuccess(source: string, at: string): void {
    this.#lastSuccess.set({ source }, Date.parse(at) / 1000);
  }
}
