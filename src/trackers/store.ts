import { randomBytes } from 'node:crypto';
import type { EngineClient } from '../engine/client.js';
import type { IndexNames } from '../engine/indexes.js';
import { BadRequestError, errorMessage, NotFoundError } from '../errors.js';
import { scopeOf, scopeWithin, type Scope } from '../model.js';
import { parseTrackerSearch, type TrackerSearch } from '../search/params.js';
import { checkWebhookUrl } from './webhook-url.js';

/*
 * Trackers: saved turn searches that watch what arrives. They are records in the state index, beside
 * the data they watch, so every process that writes sessions (serve, sync, import) evaluates the same
 * trackers. A tracker belongs to the scope of the key that made it and only ever matches within it;
 * a key sees the trackers whose scope lies within its own.
 */

export type Threshold = { sessionsPerDay: number };

/** What a caller sets. */
export type TrackerDefinition = { name: string; search: string; webhookUrl: string | null; threshold: Threshold | null };

export type Tracker = TrackerDefinition & {
  /** `trk_` and lowercase hex: no two ids differ only in case or width, which engine filters would merge. */
  id: string;
  scope: Scope;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  /** Signs webhook bodies; shown once, when the tracker is made or its secret rotated. */
  secret: string;
};

type StoredTracker = Omit<Tracker, 'id'> & { id: string; kind: 'tracker'; trackerId: string };

const MAX_TRACKERS = 1_000;
const MAX_NAME_CHARS = 200;

/** The saved search, parsed; a BadRequestError names what is wrong with it. */
export function trackerSearch(tracker: Pick<TrackerDefinition, 'search'>): TrackerSearch {
  return parseTrackerSearch(tracker.search);
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > MAX_NAME_CHARS || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new BadRequestError(`Invalid 'name': expected 1 to ${MAX_NAME_CHARS} printable characters`);
  }
  return trimmed;
}

/**
 * A definition (or the part of one a change sets), checked: a printable name, a search that parses as
 * a turn search's text and filters, a webhook URL that may be used (`engineUrls`: the addresses it may
 * never point at). Returns it with the name trimmed and the URL normalised.
 */
export async function checkDefinition<D extends Partial<TrackerDefinition>>(definition: D, engineUrls: readonly string[]): Promise<D> {
  const checked = { ...definition };
  if (definition.name !== undefined) checked.name = checkName(definition.name);
  if (definition.search !== undefined) {
    try {
      trackerSearch({ search: definition.search });
    } catch (error) {
      throw new BadRequestError(`Invalid 'search': ${errorMessage(error)}`);
    }
  }
  if (definition.webhookUrl) checked.webhookUrl = await checkWebhookUrl(definition.webhookUrl, engineUrls);
  if (definition.threshold && !(Number.isInteger(definition.threshold.sessionsPerDay) && definition.threshold.sessionsPerDay >= 1)) {
    throw new BadRequestError(`Invalid 'threshold.sessionsPerDay': expected a whole number from 1`);
  }
  return checked;
}

const documentId = (trackerId: string) => `tracker-${trackerId}`;
const TRACKER_ID = /^trk_[0-9a-f]{16}$/;

export class TrackerStore {
  constructor(
    private readonly engine: EngineClient,
    private readonly names: IndexNames,
  ) {}

  /** Every tracker, oldest first. */
  async list(): Promise<Tracker[]> {
    const trackers: Tracker[] = [];
    for await (const stored of this.engine.documents<StoredTracker>(this.names.state, { filter: 'kind = "tracker"' })) trackers.push(fromStored(stored));
    return trackers.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Whether any tracker exists: asked once per written batch, so it must be cheap. */
  async any(): Promise<boolean> {
    const { results } = await this.engine.fetchDocuments(this.names.state, { filter: 'kind = "tracker"', fields: ['id'], limit: 1 });
    return results.length > 0;
  }

  /** The tracker, if it exists and lies within `scope`; NotFoundError otherwise (alike). */
  async get(trackerId: string, scope: Scope = {}): Promise<Tracker> {
    const stored = TRACKER_ID.test(trackerId) ? await this.engine.getDocument<StoredTracker>(this.names.state, documentId(trackerId)) : undefined;
    if (!stored || stored.trackerId !== trackerId || !scopeWithin(stored.scope, scope)) throw new NotFoundError(`No tracker '${trackerId.slice(0, 100)}'`);
    return fromStored(stored);
  }

  async create(definition: TrackerDefinition, scope: Scope, by: string): Promise<Tracker> {
    if ((await this.list()).length >= MAX_TRACKERS) throw new BadRequestError(`At most ${MAX_TRACKERS} trackers; delete one first`);
    const now = new Date().toISOString();
    const tracker: Tracker = {
      ...definition,
      id: `trk_${randomBytes(8).toString('hex')}`,
      scope: scopeOf(scope),
      createdAt: now,
      updatedAt: now,
      createdBy: by,
      secret: newSecret(),
    };
    await this.#write(tracker);
    return tracker;
  }

  async update(tracker: Tracker, changes: Partial<TrackerDefinition> & { rotateSecret?: boolean }): Promise<Tracker> {
    const { rotateSecret, ...definition } = changes;
    const updated: Tracker = { ...tracker, ...definition, updatedAt: new Date().toISOString(), secret: rotateSecret ? newSecret() : tracker.secret };
    await this.#write(updated);
    return updated;
  }

  /** Deletes the tracker and everything it left: its match records, arrivals' results and deliveries. */
  async remove(tracker: Tracker): Promise<void> {
    const tasks = [
      await this.engine.deleteDocument(this.names.state, documentId(tracker.id)),
      // The id is lowercase hex, so the engine's loose equality cannot reach another tracker's records.
      await this.engine.deleteDocumentsByFilter(this.names.state, `trackerId = "${tracker.id}" AND kind != "tracker"`),
    ];
    await this.engine.waitForTasks(tasks);
  }

  async #write(tracker: Tracker): Promise<void> {
    const stored: StoredTracker = { ...tracker, id: documentId(tracker.id), kind: 'tracker', trackerId: tracker.id };
    await this.engine.waitForTask(await this.engine.addDocuments(this.names.state, [stored]));
  }
}

function fromStored(stored: StoredTracker): Tracker {
  const { kind: _kind, trackerId, id: _documentId, ...rest } = stored;
  return { ...rest, id: trackerId };
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}
