import type { EngineClient } from '../src/engine/client.js';
import { ensureIndexes, type IndexNames } from '../src/engine/indexes.js';
import { TrackerStore } from '../src/trackers/store.js';

/**
 * A hundred trackers of the kind a team keeps: topics (words and phrases of the corpus's domains),
 * each as anyone said it, as users said it and as agents said it; made before a sync, so the sync
 * evaluates every one of them on every batch it writes.
 */
const TOPICS = [
  'refund', 'reservation', 'restaurant', 'flight', 'hotel', 'movie', 'music', 'bus', 'train', 'weather',
  'price', 'cheap', 'cancel', 'change', 'tomorrow', 'tonight', 'doctor', 'dentist', 'apartment', 'rental car',
  '"thank you"', '"book a table"', '"new york"', '"san francisco"', '"make a reservation"', '"one way"', '"round trip"',
  '"how much"', '"what time"', '"not available"', '"anything else"', '"credit card"', '"phone number"',
];

export const TRACKER_COUNT = 100;

function trackerSearches(): string[] {
  const searches = TOPICS.flatMap((topic) => ['', '&role=user', '&role=agent'].map((role) => `q=${encodeURIComponent(topic)}${role}`));
  return [...searches, `q=${encodeURIComponent('"i would like"')}`].slice(0, TRACKER_COUNT);
}

export async function createTrackers(client: EngineClient, names: IndexNames): Promise<number> {
  await ensureIndexes(client, names);
  const store = new TrackerStore(client, names);
  const searches = trackerSearches();
  for (const [i, search] of searches.entries()) await store.create({ name: `tracker ${i}`, search, webhookUrl: null, threshold: null }, {}, 'bench');
  return searches.length;
}
