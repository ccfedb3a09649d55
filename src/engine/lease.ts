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
 * every task of that index enqueued before it applied. The acquisition rests on that alone (Lamport's
 * bakery, with the engine handing out the numbers):
 *
 * 1. A claimant writes a claim of its own (document `lease-<name>-<instance>-<try>`, new for every
 *    try) without a ticket. The uid the engine gives that write is the claimant's ticket.
 * 2. It writes the claim again with the ticket, noting the moment it sent that write (`asked`), and
 *    waits for the task.
 * 3. It reads every claim on the lease. A claim counts when its `expiresAt` is after `asked`. Any
 *    counting claim with a smaller ticket wins over it: it withdraws (deletes its claim). A counting
 *    claim still without a ticket may get a smaller one: it reads again until that claim has its
 *    ticket, and withdraws if that takes too long. Otherwise it holds the lease, and says so
 *    (`acquiredAt`) in its next write.
 *
 * Why two claimants never both hold: of two claims, the one whose first write was enqueued first has
 * the smaller ticket, and that write was applied before the other claimant's step-2 task, so the
 * other's read sees it (with its ticket, or waits for it) and withdraws. The claimant with the
 * smallest ticket may not see later ones at all, and needs not. A claimant that comes while the lease
 * is held sees the holder's claim, whose ticket is older, and withdraws.
 *
 * Expiry: from step 2 on, the claimant renews its claim every third of the TTL, each renewal setting
 * `expiresAt` to the time it was sent plus the TTL. It counts on its claim until a quarter of the TTL
 * before the `expiresAt` of the last renewal the engine accepted (enqueued) before the previous such
 * point (`deadline`); past it the lease is lost, and nothing more is sent under that claim (a renewal
 * sent late, after the process stalled, would bring a lapsed claim back for a whole TTL). Accepted is enough, processed is not needed: a
 * renewal enqueued before another claimant's step-2 write is applied before that claimant reads, and
 * one enqueued after it was sent before the holder's deadline, itself a quarter TTL before the
 * `expiresAt` the claimant reads, so the claimant, judging by `asked`, still counts the claim. Renewals
 * thus never wait behind document batches in the engine's queue. A lost lease aborts its signal: the
 * work stops (a sync pass writes what it fetched and checkpoints, as on shutdown) and never resumes
 * under that claim. The quarter TTL (15 s at the default 60 s) is the room for the clocks of
 * different hosts to disagree and for an interrupted pass's last write to be queued.
 *
 * A holder's writes queued before it stopped are applied before a newcomer's claim (engine order);
 * a sync newcomer also waits for them to finish before it reads the checkpoint (sync-controller.ts).
 *
 * Claims of processes long gone are deleted by whoever reads them (`#reap`). A claim id is never
 * written again after its try, so such a deletion, decided on an old read and applied late, can only
 * remove the claim it was meant for, never a newer claim of the same process.
 *
 * Identity is the document id and the exact `source` compared in code: the engine's filter equality
 * folds case and width, so the filter only narrows the read.
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

/** A claim this process keeps renewing: while it contends for the lease, then while it holds it. */
type Holding = {
  claim: Claim;
  acquired: boolean;
  deadline: number;
  lost: AbortController;
  heartbeat: NodeJS.Timeout;
  expiry: NodeJS.Timeout;
  /**
   * The renewal in flight, resolving to its task when the engine accepted it in time: a release waits
   * for it, or the renewal could land after the deletion and bring the claim back.
   */
  renewal: Promise<number | undefined> | undefined;
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
/** How long a claimant waits for such a claim's ticket before it gives up this try. */
const UNDECIDED_WAIT_MS = 2_000;

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
  #holding: Holding | undefined;
  /** Numbers this process's tries: each try's claim is a document of its own. */
  #tries = 0;
  /** The try under way: callers that ask meanwhile (a hook and a loop) share its answer instead of claiming twice. */
  #trying: Promise<LeaseResult> | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly stateIndex: string,
    readonly name: string,
    private readonly holder: LeaseHolder,
    private readonly options: LeaseOptions,
  ) {}

  /** Held, and not past the point where the holder must consider it lost. */
  get held(): boolean {
    return this.#holding !== undefined && this.#holding.acquired && Date.now() < this.#holding.deadline;
  }

  /** One attempt: the lease, or who holds it (null when claimants are still deciding, or one is just withdrawing). */
  tryAcquire(): Promise<LeaseResult> {
    if (this.#holding && this.held) return Promise.resolve({ acquired: true, signal: this.#holding.lost.signal });
    this.#trying ??= this.#try().finally(() => (this.#trying = undefined));
    return this.#trying;
  }

  async #try(): Promise<LeaseResult> {
    // A holder seen now is still there when a claim would be read back: claiming would only queue
    // tasks. That includes a lease this process lost: its work may still be writing until it lapses.
    const holder = await this.current();
    if (holder) return { acquired: false, heldBy: holder };

    const claimedAt = Date.now();
    const id = `lease-${this.name}-${this.holder.instanceId}-${++this.#tries}`;
    const first: Claim = { id, kind: 'lease', source: this.name, holder: this.holder, ticket: null, claimedAt, acquiredAt: null, expiresAt: claimedAt + this.options.ttlMs };
    const ticket = await this.engine.addDocuments(this.stateIndex, [first]);
    const asked = Date.now();
    const holding = this.#contend({ ...first, ticket, expiresAt: asked + this.options.ttlMs }, claimedAt + this.#heldFor());
    let decided: LeaseResult | undefined;
    try {
      const second = await this.engine.addDocuments(this.stateIndex, [holding.claim]);
      if (Date.now() < holding.deadline) holding.deadline = asked + this.#heldFor();
      await this.engine.waitForTask(second);
      decided = await this.#decide(holding, asked);
    } finally {
      if (!decided?.acquired) await this.#giveUp(holding);
    }
    return decided;
  }

  /** Step 3: reads the claims until no claim ahead of this one is undecided. */
  async #decide(holding: Holding, asked: number): Promise<LeaseResult> {
    const ticket = holding.claim.ticket!;
    const waitUntil = Date.now() + UNDECIDED_WAIT_MS;
    for (;;) {
      const claims = await this.#claims();
      await this.#reap(claims, asked);
      const ahead = claims.filter((other) => other.id !== holding.claim.id && other.expiresAt > asked && (other.ticket === null || other.ticket < ticket));
      const winner = ahead.filter((other) => other.ticket !== null).sort((a, b) => a.ticket! - b.ticket!)[0];
      if (winner) return { acquired: false, heldBy: this.#view(winner) };
      if (this.#holding !== holding || Date.now() >= holding.deadline || (ahead.length > 0 && Date.now() >= waitUntil)) return { acquired: false, heldBy: null };
      if (ahead.length === 0) break;
      await sleep(UNDECIDED_POLL_MS);
    }
    holding.acquired = true;
    holding.claim = { ...holding.claim, acquiredAt: Date.now() };
    // At once, after a renewal already on its way, and applied before the work starts: whoever reads
    // the claims from now on sees the lease held (`acquiredAt`), not only claimed.
    await holding.renewal;
    const published = await this.#renew(holding);
    if (published !== undefined) await this.engine.waitForTask(published);
    this.options.log.info('lease acquired', { lease: this.name, instanceId: this.holder.instanceId });
    return { acquired: true, signal: holding.lost.signal };
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
    await this.#giveUp(this.#holding);
  }

  async #giveUp(holding: Holding | undefined): Promise<void> {
    if (!holding) return;
    this.#stop(holding);
    try {
      await holding.renewal;
      await this.engine.waitForTask(await this.engine.deleteDocument(this.stateIndex, holding.claim.id));
    } catch (error) {
      this.options.log.warn('lease claim not withdrawn; it lapses by itself', { lease: this.name, error: errorMessage(error) });
    }
  }

  /** Who holds the lease now, if anyone. */
  async current(): Promise<LeaseView | null> {
    const now = Date.now();
    const holders = (await this.#claims()).filter((claim) => claim.acquiredAt !== null && claim.expiresAt > now).sort((a, b) => a.ticket! - b.ticket!);
    return holders[0] ? this.#view(holders[0]) : null;
  }

  /** Starts renewing a claim whose writes are on their way, counted on until `deadline`. */
  #contend(claim: Claim, deadline: number): Holding {
    const holding: Holding = {
      claim,
      acquired: false,
      deadline,
      lost: new AbortController(),
      heartbeat: setInterval(() => void this.#renew(holding), this.options.ttlMs / 3).unref(),
      expiry: setTimeout(() => this.#lose(holding), deadline - Date.now()).unref(),
      renewal: undefined,
    };
    this.#holding = holding;
    return holding;
  }

  #renew(holding: Holding): Promise<number | undefined> {
    if (holding.renewal || this.#holding !== holding) return holding.renewal ?? Promise.resolve(undefined);
    holding.renewal = this.#renewOnce(holding).finally(() => (holding.renewal = undefined));
    return holding.renewal;
  }

  async #renewOnce(holding: Holding): Promise<number | undefined> {
    const sent = Date.now();
    // The process stalled past its deadline (a paused VM, a blocked event loop): the claim is over.
    if (sent >= holding.deadline) {
      this.#lose(holding);
      return undefined;
    }
    const claim = { ...holding.claim, expiresAt: sent + this.options.ttlMs };
    try {
      const task = await this.engine.addDocuments(this.stateIndex, [claim]);
      // Accepted after the deadline: others may have judged the claim lapsed meanwhile.
      if (this.#holding !== holding || Date.now() >= holding.deadline) return undefined;
      // Only the expiry: `acquiredAt` may have been set since this renewal was sent.
      holding.claim = { ...holding.claim, expiresAt: claim.expiresAt };
      holding.deadline = sent + this.#heldFor();
      clearTimeout(holding.expiry);
      holding.expiry = setTimeout(() => this.#lose(holding), holding.deadline - Date.now()).unref();
      return task;
    } catch (error) {
      this.options.log.warn('lease renewal failed; retrying', { lease: this.name, error: errorMessage(error) });
      return undefined;
    }
  }

  /** The claim stays until it lapses: work being interrupted may still queue its last write before then. */
  #lose(holding: Holding): void {
    if (this.#holding !== holding) return;
    this.#stop(holding);
    if (!holding.acquired) return;
    this.options.log.error('lease lost', { lease: this.name });
    holding.lost.abort(new InterruptedError(`Interrupted: this process lost its lease on ${this.name} (the engine did not accept its renewals in time); another process may take over`));
  }

  #stop(holding: Holding): void {
    clearInterval(holding.heartbeat);
    clearTimeout(holding.expiry);
    if (this.#holding === holding) this.#holding = undefined;
  }

  /**
   * Claims of processes long gone (lapsed a whole TTL before `asked`) are deleted, so they do not pile
   * up. Judged, like every claim, against `asked`: any renewal of such a claim would have been
   * accepted before it and be seen, so its process has stopped working under it.
   */
  async #reap(claims: Claim[], asked: number): Promise<void> {
    for (const claim of claims) {
      if (claim.expiresAt + this.options.ttlMs < asked) await this.engine.deleteDocument(this.stateIndex, claim.id);
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
