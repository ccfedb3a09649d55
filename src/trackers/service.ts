import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { errorMessage } from '../errors.js';
import type { IngestHooks } from '../ingest/deps.js';
import type { Logger } from '../logger.js';
import { WebhookDeliverer, type DeliveryOptions } from './deliver.js';
import { TrackerEvaluator, type TrackerDeps } from './evaluate.js';
import { TrackerStore } from './store.js';

/*
 * Trackers as a process runs them. Every process that writes sessions gives the ingest hooks to its
 * writers: arrivals are noted as batches are queued and evaluated once searchable. `serve` also runs
 * a loop that evaluates what other processes (or a push answered before it was searchable) left
 * pending and sends deliveries as they fall due; a short-lived command (`sync`, `import`) settles
 * before it exits: evaluates everything pending and makes one attempt at what is due, leaving retries
 * to the next process.
 */

export type TrackerServiceOptions = DeliveryOptions & Pick<TrackerDeps, 'observer' | 'staleMs'>;

/** How often `serve` looks for pending arrivals and due deliveries when nothing woke it sooner. */
const LOOP_MS = 1_000;

export class TrackerService {
  readonly store: TrackerStore;
  readonly evaluator: TrackerEvaluator;
  readonly deliverer: WebhookDeliverer;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: { engine: EngineClient; names: IndexNames; log: Logger },
    options: TrackerServiceOptions,
  ) {
    this.store = new TrackerStore(deps.engine, deps.names);
    const trackerDeps = { ...deps, store: this.store, observer: options.observer, staleMs: options.staleMs };
    this.evaluator = new TrackerEvaluator(trackerDeps);
    this.deliverer = new WebhookDeliverer(trackerDeps, options);
  }

  /**
   * The ingest hooks: announce each batch, evaluate it once it is searchable (the writer waits for that: it is
   * the cost trackers add to a sync), then send deliveries in the background (a slow receiver must
   * not hold up indexing). A failed evaluation leaves the arrival pending for the next round.
   */
  hooks(): Required<Pick<IngestHooks, 'arriving' | 'queued' | 'searchable'>> {
    return {
      arriving: (batch) => this.evaluator.announce(batch),
      queued: (arrival, tasks) => this.evaluator.confirm(arrival, tasks),
      searchable: async () => {
        try {
          await this.evaluator.evaluatePending();
        } catch (error) {
          this.deps.log.error('tracker evaluation failed; the arrival stays pending', { error: errorMessage(error) });
        }
        void this.deliverer.deliverDue().catch((error: unknown) => this.deps.log.error('webhook delivery failed; retrying', { error: errorMessage(error) }));
      },
    };
  }

  /** `serve`: evaluate and deliver now and every second, until `stop`. */
  start(): void {
    this.#stopped = false;
    const tick = () => {
      void this.#kick().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, LOOP_MS).unref();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#loop;
  }

  /** A command about to exit: evaluate everything pending and attempt what is due, once. */
  async settle(): Promise<void> {
    await this.evaluator.evaluatePending();
    await this.deliverer.deliverDue();
  }

  /** One round of evaluation and delivery; a failure is logged and the next round retries. */
  #kick(): Promise<void> {
    this.#loop = this.#loop.then(async () => {
      try {
        await this.evaluator.evaluatePending();
        await this.deliverer.deliverDue();
      } catch (error) {
        this.deps.log.error('tracker evaluation or delivery failed; retrying', { error: errorMessage(error) });
      }
    });
    return this.#loop;
  }
}
