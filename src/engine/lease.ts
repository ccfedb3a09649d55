import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { InterruptedError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EngineClient } from './client.js';
import { quote } from './filter.js';

/*
 * Leases: one process at a time does a piece of work (a source's sync, the trackers' evaluation and
 * webhooks), whichever processes share the engine: `serve` replicas, a `sync` from the CLI, an
 * import. A lease is kept in the state index, beside the checkpoints it protects, with an expiry and
 * a heartbeat, so a holder that crashed is taken over once its lease runs out.
 *
 * Meilisearch has no compare-and-swap: a write replaces a document whatever it held, so "read the
 * lease, see it free, write ourselves in" lets two processes that read at the same moment both win.
 * What the engine does guarantee is order: it gives every task a uid as it enqueues it, in the order
 * requests arrive, and applies an index's tasks in uid order, so once a task has finished, a read sees
 * every earlier task of that index applied. The acquisition rests on that alone (Lamport's bakery,
 * with the engine handing out the numbers):
 *
 * 1. A claimant writes a claim of its own (document `lease-<name>-<instance>`) without a ticket. The
 *    uid the engine gives that write is the claimant's ticket.
 * 2. It writes the claim again with the ticket, and waits for that task.
 * 3. It reads every claim on the lease. Any live claim (not past `expiresAt`) with a smaller ticket
 *    wins over it: it withdraws (deletes its claim). A live claim still without a ticket may get a
 *    smaller one: it reads again until that claim has its ticket (or lapses). Otherwise it holds the
 *    lease, and says so (`acquiredAt`) in the next write.
 *
 * Why two claimants never both hold: of two claims, the one whose first write was enqueued first has
 * the smaller ticket, and that write was applied before the other claimant's step-2 task, so the
 * other's read sees it (with its ticket, or waits for it) and withdraws. The claimant with the
 * smallest ticket may not see later ones at all, and needs not. A claimant that comes while the lease
 * is held sees the holder's claim, whose ticket is older, and withdraws.
 *
 * Expiry: the holder renews its claim every third of the TTL, each renewal setting `expiresAt` to
 * the time it was sent plus the TTL. Others treat a claim as lapsed once their clock passes its
 * `expiresAt`. The holder treats the lease as lost a quarter of the TTL earlier (`deadline`), counting
 * only renewals confirmed before the deadline they extend: the engine then holds at least that
 * `expiresAt`, so no one can take over before the holder has stopped. A lost lease aborts its
 * signal: the work stops (a sync pass writes what it fetched and checkpoints, as on shutdown) and
 * never resumes under that claim. The quarter TTL (15 s at the default 60 s) is the room for clocks
 * of different hosts to disagree and for an interrupted pass's last write to be queued; a renewal
 * may wait in the engine's queue behind document batches for up to 5/12 of the TTL before it is late.
 *
 * A holder's writes queued before it stopped are applied before a newcomer's claim (engine order);
 * a sync newcomer also waits for them to finish before it reads the checkpoint (sync-controller.ts).
 */

export type LeaseHolder = {
  /** Random per process: two processes of one host and pid (a restart) are not taken for each other. */
  instanceId: string;
  host: string;
  pid: number;
  /** The command that runs it: `serve`, `sync`, `import`. */
  process: string;
};

/** A lease as anyone sees it: who holds it, since when, and until when unless renewed. */
export type LeaseView = { holder: LeaseHolder; acquiredAt: string | null; expiresAt: string; thisProcess: boolean };

export type LeaseResult = { acquired: true; signal: AbortSignal } | { acquired: false; heldBy: LeaseView | null };

/** A claim as stored. The lease's name goes in `source`, an attribute the state index filters on. */
type Claim = {
  id: string;
  kind: 'lease';
  source: string;
  holder: LeaseHolder;
  /** Uid of the claim's first write; null until the second write records it. */
  ticket: number | null;
  claimedAt: number;
  acquiredAt: number | null;
  /** Unix ms. */
  expiresAt: number;
};

type Holding = {
  claim: Claim;
  deadline: number;
  lost: AbortController;
  heartbeat: NodeJS.Timeout;
  expiry: NodeJS.Timeout;
  /** The renewal in flight: a release waits for it, or the renewal could land after the deletion and bring the claim back. */
  renewal: Promise<void> | undefined;
};

export type LeaseOptions = {
  /** The command this process runs, shown to whoever finds the lease held. */
  process: string;
  /** How long a claim lasts unless renewed (LEASE_SECONDS). */
  ttlMs: number;
  log: Logger;
};

/** While a claim without a ticket is in the way: its second write is one task away. */
const UNDECIDED_POLL_MS = 25;

/** The leases of one process: one identity, one TTL. */
export class Leases {
  readonly holder: LeaseHolder;
  readonly #leases = new Map<string, Lease>();

  constructor(
    private readonly engine: EngineClient,
    private readonly stateIndex: string,
    private readonly options: LeaseOptions,
  ) {
    this.holder = { instanceId: randomBytes(8).toString('hex'), host: hostname(), pid: process.pid, process: options.process };
  }

  lease(name: string): Lease {
    let lease = this.#leases.get(name);
    if (!lease) {
      lease = new Lease(this.engine, this.stateIndex, name, this.holder, this.options);
      this.#leases.set(name, lease);
    }
    return lease;
  }
}

export class Lease {
  readonly #claimId: string;
  #holding: Holding | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly stateIndex: string,
    readonly name: string,
    private readonly holder: LeaseHolder,
    private readonly options: LeaseOptions,
  ) {
    this.#claimId = `lease-${name}-${holder.instanceId}`;
  }

  /** Held, and not past the point where the holder must consider it lost. */
  get held(): boolean {
    return this.#holding !== undefined && Date.now() < this.#holding.deadline;
  }

  /** One attempt: the lease, or who holds it (null when claimants are still deciding, or one is just withdrawing). */
  async tryAcquire(): Promise<LeaseResult> {
    if (this.#holding && this.held) return { acquired: true, signal: this.#holding.lost.signal };
    const now = Date.now();
    const claims = await this.#claims();
    // A holder seen now is still there when a claim would be read back: claiming would only queue tasks.
    const holder = claims.find((claim) => claim.id !== this.#claimId && claim.acquiredAt !== null && claim.expiresAt > now);
    if (holder) return { acquired: false, heldBy: this.#view(holder) };
    await this.#reap(claims, now);

    const claimedAt = Date.now();
    const claim: Claim = { id: this.#claimId, kind: 'lease', source: this.name, holder: this.holder, ticket: null, claimedAt, acquiredAt: null, expiresAt: claimedAt + this.options.ttlMs };
    claim.ticket = await this.engine.addDocuments(this.stateIndex, [claim]);
    await this.engine.waitForTask(await this.engine.addDocuments(this.stateIndex, [claim]));
    const deadline = claimedAt + this.#heldFor();
    for (;;) {
      const live = (await this.#claims()).filter((other) => other.id !== this.#claimId && other.expiresAt > Date.now());
      const ahead = live.filter((other) => other.ticket === null || other.ticket < claim.ticket!);
      const winner = ahead.filter((other) => other.ticket !== null).sort((a, b) => a.ticket! - b.ticket!)[0];
      if (winner || (ahead.length > 0 && Date.now() + UNDECIDED_POLL_MS >= deadline)) {
        await this.#withdraw();
        return { acquired: false, heldBy: winner ? this.#view(winner) : null };
      }
      if (ahead.length === 0) break;
      await sleep(UNDECIDED_POLL_MS);
    }
    if (Date.now() >= deadline) {
      await this.#withdraw();
      return { acquired: false, heldBy: null };
    }
    return { acquired: true, signal: await this.#hold(claim, deadline) };
  }

  /**
   * Tries until the lease is this process's or `waitMs` have passed; `onWait` is told once who holds
   * it. A crashed holder's lease is taken within a TTL; a released one at the next try.
   */
  async acquire(waitMs: number, onWait?: (heldBy: LeaseView | null) => void): Promise<LeaseResult> {
    const until = Date.now() + waitMs;
    for (let told = false; ; told = true) {
      const result = await this.tryAcquire();
      if (result.acquired || Date.now() >= until) return result;
      if (!told) onWait?.(result.heldBy);
      await sleep(Math.min(this.#retryMs(), until - Date.now()));
    }
  }

  /** Ends the holding (when there is one) and deletes this process's claim, so the next claimant need not wait for it to lapse. */
  async release(): Promise<void> {
    const holding = this.#holding;
    if (holding) this.#stop(holding);
    try {
      await holding?.renewal;
      await this.#withdraw();
    } catch (error) {
      this.options.log.warn('lease not released; it lapses by itself', { lease: this.name, error: errorMessage(error) });
    }
  }

  /** Who holds the lease now, if anyone. */
  async current(): Promise<LeaseView | null> {
    const now = Date.now();
    const holders = (await this.#claims()).filter((claim) => claim.acquiredAt !== null && claim.expiresAt > now).sort((a, b) => a.ticket! - b.ticket!);
    return holders[0] ? this.#view(holders[0]) : null;
  }

  async #hold(claim: Claim, deadline: number): Promise<AbortSignal> {
    const holding: Holding = {
      claim: { ...claim, acquiredAt: Date.now() },
      deadline,
      lost: new AbortController(),
      heartbeat: setInterval(() => void this.#renew(holding), this.options.ttlMs / 3).unref(),
      expiry: setTimeout(() => this.#lose(holding, 'its renewals were not confirmed in time'), deadline - Date.now()).unref(),
      renewal: undefined,
    };
    this.#holding = holding;
    // At once: others see the lease held (`acquiredAt`) rather than claimed.
    await this.#renew(holding);
    this.options.log.info('lease acquired', { lease: this.name, instanceId: this.holder.instanceId });
    return holding.lost.signal;
  }

  #renew(holding: Holding): Promise<void> {
    if (holding.renewal || this.#holding !== holding) return holding.renewal ?? Promise.resolve();
    holding.renewal = this.#renewOnce(holding).finally(() => (holding.renewal = undefined));
    return holding.renewal;
  }

  async #renewOnce(holding: Holding): Promise<void> {
    const sent = Date.now();
    const claim = { ...holding.claim, expiresAt: sent + this.options.ttlMs };
    try {
      await this.engine.waitForTask(await this.engine.addDocuments(this.stateIndex, [claim]), { timeoutMs: Math.max(1, holding.deadline - sent) });
      // Confirmed after the deadline: others may have seen the previous expiry pass meanwhile.
      if (this.#holding !== holding || Date.now() >= holding.deadline) return;
      holding.claim = claim;
      holding.deadline = sent + this.#heldFor();
      clearTimeout(holding.expiry);
      holding.expiry = setTimeout(() => this.#lose(holding, 'its renewals were not confirmed in time'), holding.deadline - Date.now()).unref();
    } catch (error) {
      this.options.log.warn('lease renewal failed; retrying', { lease: this.name, error: errorMessage(error) });
    }
  }

  /** The claim stays until it lapses: work being interrupted may still queue its last write before then. */
  #lose(holding: Holding, why: string): void {
    if (this.#holding !== holding) return;
    this.#stop(holding);
    this.options.log.error('lease lost', { lease: this.name, why });
    holding.lost.abort(new InterruptedError(`Interrupted: this process lost its lease on ${this.name} (${why}); another process may take over`));
  }

  #stop(holding: Holding): void {
    clearInterval(holding.heartbeat);
    clearTimeout(holding.expiry);
    this.#holding = undefined;
  }

  async #withdraw(): Promise<void> {
    await this.engine.waitForTask(await this.engine.deleteDocument(this.stateIndex, this.#claimId));
  }

  /**
   * Claims of processes long gone (lapsed a whole TTL ago) are deleted, so they do not pile up. A
   * lapsed claim's process has stopped working under it (its deadline came first), and any renewal it
   * sent was confirmed too late to count, so deleting one takes nothing from anybody.
   */
  async #reap(claims: Claim[], now: number): Promise<void> {
    for (const claim of claims) {
      if (claim.id !== this.#claimId && claim.expiresAt + this.options.ttlMs < now) await this.engine.deleteDocument(this.stateIndex, claim.id);
    }
  }

  async #claims(): Promise<Claim[]> {
    const { results } = await this.engine.fetchDocuments<Claim>(this.stateIndex, { filter: `kind = "lease" AND source = ${quote(this.name)}`, limit: 1_000 });
    // The engine's equality folds case; lease names are exact.
    return results.filter((claim) => claim.source === this.name);
  }

  /** How long after a renewal is sent the holder still counts on it: the TTL less a quarter. */
  #heldFor(): number {
    return this.options.ttlMs - this.options.ttlMs / 4;
  }

  /** Between tries while waiting: often enough to take a released lease soon, rarely enough to stay off the engine's queue. */
  #retryMs(): number {
    return Math.min(5_000, Math.max(250, this.options.ttlMs / 4));
  }

  #view(claim: Claim): LeaseView {
    return {
      holder: claim.holder,
      acquiredAt: claim.acquiredAt === null ? null : new Date(claim.acquiredAt).toISOString(),
      expiresAt: new Date(claim.expiresAt).toISOString(),
      thisProcess: claim.holder.instanceId === this.holder.instanceId,
    };
  }
}

/** For logs and errors: `held by serve pid 4242 on host-a (instance 0123456789abcdef, until 2026-…Z unless renewed)`. */
export function describeHolder(view: LeaseView | null): string {
  if (!view) return 'undecided: claimed by several processes at once, or the engine did not confirm the claim within the lease time';
  const { holder } = view;
  return `held by ${holder.process} pid ${holder.pid} on ${holder.host} (instance ${holder.instanceId}, until ${view.expiresAt} unless renewed)`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
