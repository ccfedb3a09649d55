import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import type { Lease } from '../engine/lease.js';
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
 *
 * Evaluating and sending happen in one process at a time, the holder of the `trackers` lease: two
 * processes sending what is due at once would send each delivery twice, and an evaluation finishing
 * after another process delivered its result would write the delivery back as pending. Every
 * writer announces its batches (that needs no lease); whoever holds the lease evaluates them, `serve`
 * within its loop's second. Handing the lease over (a holder that died mid-send) may send a delivery
 * again: at least once, as the delivery id says.
 */

export type TrackerServiceOptions = DeliveryOptions &
  Pick<TrackerDeps, 'observer' | 'staleMs'> & {
    /** Where processes sharing the engine take turns (runtime.ts); without it this process works as if alone. */
    lease?: Lease;
  };

/** How often `serve` looks for pending arrivals and due deliveries when nothing woke it sooner. */
const LOOP_MS = 1_000;

export class TrackerService {
  readonly store: TrackerStore;
  readonly evaluator: TrackerEvaluator;
  readonly deliverer: WebhookDeliverer;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  readonly #lease: Lease | undefined;

  constructor(
    private readonly deps: { engine: EngineClient; names: IndexNames; log: Logger },
    options: TrackerServiceOptions,
  ) {
    this.#lease = options.lease;
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
        let turn: Turn;
        try {
          turn = await this.#turn();
          if (!turn) return;
          await this.evaluator.evaluatePending(turn.signal);
        } catch (error) {
          this.deps.log.error('tracker evaluation failed; the arrival stays pending', { error: errorMessage(error) });
          return;
        }
        void this.deliverer.deliverDue(turn.signal).catch((error: unknown) => this.deps.log.error('webhook delivery failed; retrying', { error: errorMessage(error) }));
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

  /** Stops the loop and hands tracker work to whichever process comes next. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#loop;
    await this.#lease?.release();
  }

  /**
   * A command about to exit: evaluate everything pending and attempt what is due, once, unless
   * another process does tracker work (it will); then hand the work over.
   */
  async settle(): Promise<void> {
    try {
      await this.#round();
    } finally {
      await this.#lease?.release();
    }
  }

  /** Evaluates what is pending and delivers what is due, when this process does tracker work now. */
  async #round(): Promise<void> {
    const turn = await this.#turn();
    if (!turn) return;
    await this.evaluator.evaluatePending(turn.signal);
    await this.deliverer.deliverDue(turn.signal);
  }

  /** One round of evaluation and delivery; a failure is logged and the next round retries. */
  #kick(): Promise<void> {
    this.#loop = this.#loop.then(async () => {
      try {
        await this.#round();
      } catch (error) {
        this.deps.log.error('tracker evaluation or delivery failed; retrying', { error: errorMessage(error) });
      }
    });
    return this.#loop;
  }

  /**
   * Whether this process does tracker work now, with the signal that stops it when the lease is
   * lost; undefined while another process holds the lease, or while there is no tracker (and so
   * nothing to do: a tracker's records go with it), so that a deployment without trackers never
   * claims the lease.
   */
  async #turn(): Promise<Turn> {
    if (!this.#lease) return {};
    if (!this.#lease.held && !(await this.store.any())) return undefined;
    const claim = await this.#lease.tryAcquire();
    return claim.acquired ? { signal: claim.signal } : undefined;
  }
}

type Turn = { signal?: AbortSignal } | undefined;
