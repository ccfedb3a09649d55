import type { Settings } from 'meilisearch';
import type { EngineClient } from './client.js';
import { KEYED } from './documents.js';
import { PLACEHOLDERS } from '../redact/kinds.js';
import type { Logger } from '../logger.js';
import { migrateDocuments } from './migrations.js';

/** Index uids, all under INDEX_PREFIX so several deployments can share one engine. */
export type IndexNames = { turns: string; sessions: string; state: string };

export function indexNames(prefix: string): IndexNames {
  return { turns: `${prefix}turns`, sessions: `${prefix}sessions`, state: `${prefix}sync_state` };
}

/** Above the contract's "exact up to at least 100,000"; the turns index of the full corpus is 312k. */
export const MAX_TOTAL_HITS = 1_000_000;

/** Facet values the engine returns per facet; session statistics sum numeric facets, so keep it high. */
export const MAX_VALUES_PER_FACET = 20_000;

const equalityOnly = { facetSearch: false, filter: { equality: true, comparison: false } };
const facetable = { facetSearch: true, filter: { equality: true, comparison: false } };
const numeric = { facetSearch: false, filter: { equality: true, comparison: true } };

/**
 * The engine's default rules, with `sort` moved first: `sort=newest` must order hits by time, not only
 * break relevance ties. Without a `sort` parameter the rule does nothing and relevance ranks as usual.
 */
const SORT_FIRST = ['sort', 'words', 'typo', 'proximity', 'attribute', 'exactness'];

/** Ids are filtered and counted on their exact keys (documents.ts); the readable ids beside them are not indexed. */
const KEY_ATTRIBUTES = Object.values(KEYED).filter((attribute) => attribute !== 'sessionKey');

/**
 * Turns are the only searchable text. Only `text` is searchable (ids and tags are filtered, never
 * matched by words), and each filterable attribute enables just the filter features it is used for:
 * both keep indexing close to the engine's bulk speed. Proximity stays at the default `byWord`
 * because `byAttribute` would make "exact phrase" queries match words that are merely in the same turn.
 */
export const turnsSettings: Settings = {
  searchableAttributes: ['text'],
  filterableAttributes: [
    { attributePatterns: ['sessionKey', ...KEY_ATTRIBUTES, 'role', 'source', 'longSession'], features: equalityOnly },
    {
      attributePatterns: [
        'timestamp',
        'day',
        'arrival',
        'turnIndex',
        'sessionStartedAt',
        'sessionDurationSeconds',
        'sessionTurnCount',
        'sessionLlmInputTokens',
        'sessionLlmOutputTokens',
        'sessionTokens',
        'sessionSttAudioSeconds',
        'sessionTtsCharacters',
        'sessionCostUsd',
      ],
      features: numeric,
    },
  ],
  sortableAttributes: ['timestamp', 'sessionStartedAt', 'turnIndex'],
  // A redaction placeholder is one word with its brackets: `[CARD]` finds where a card number was
  // said, not every turn with the word "card" in it.
  dictionary: Object.values(PLACEHOLDERS),
  rankingRules: SORT_FIRST,
  pagination: { maxTotalHits: MAX_TOTAL_HITS },
  faceting: { maxValuesPerFacet: MAX_VALUES_PER_FACET, sortFacetValuesBy: { '*': 'count' } },
};

/** Facets whose values `/v1/facets/{name}` completes, by prefix: typos there would list unrelated ids. */
const AUTOCOMPLETED = KEY_ATTRIBUTES;

/**
 * One document per session, filtered, faceted and sorted, and matched by what each side said (one
 * array element per turn): session search finds a session as one document (search/sessions.ts).
 */
export const sessionsSettings: Settings = {
  searchableAttributes: ['userText', 'agentText'],
  typoTolerance: { disableOnAttributes: AUTOCOMPLETED },
  filterableAttributes: [
    { attributePatterns: AUTOCOMPLETED, features: facetable },
    { attributePatterns: ['sessionKey', 'source', 'inProgress', 'textComplete'], features: equalityOnly },
    {
      attributePatterns: [
        'createdAt', 'startedAt', 'closedAt', 'durationSeconds', 'turnCount', 'userTurnCount', 'agentTurnCount',
        'llmInputTokens', 'llmOutputTokens', 'tokens', 'sttAudioSeconds', 'ttsCharacters', 'costUsd',
      ],
      features: numeric,
    },
  ],
  sortableAttributes: ['startedAt', 'createdAt'],
  rankingRules: SORT_FIRST,
  pagination: { maxTotalHits: MAX_TOTAL_HITS },
  faceting: { maxValuesPerFacet: MAX_VALUES_PER_FACET, sortFacetValuesBy: { '*': 'count' } },
};

/**
 * The service's own records (checkpoints, forgotten clients, trackers, their matches, pending
 * arrivals and webhook deliveries): found by kind and owner, deliveries by when they are due. A record
 * holding a session's words carries the session's exact keys, as the data indexes do, so deleting
 * sessions by a filter on those keys deletes such records with the same filter (ingest/delete.ts).
 */
export const stateSettings: Settings = {
  searchableAttributes: [],
  filterableAttributes: [
    { attributePatterns: ['kind', 'source', 'trackerId', 'status', 'sessionKey', 'companionKey', 'clientKey', 'tenantKey'], features: equalityOnly },
    { attributePatterns: ['createdAt', 'nextAttemptAt'], features: numeric },
  ],
  sortableAttributes: ['createdAt', 'nextAttemptAt'],
  pagination: { maxTotalHits: MAX_TOTAL_HITS },
};

/**
 * Creates the indexes and applies settings, waiting for every task: documents added before the
 * settings are in place would be indexed twice (once with defaults, once on the settings change).
 * Then brings documents of an earlier version to the current shape (migrations.ts).
 */
export async function ensureIndexes(client: EngineClient, names: IndexNames, log?: Logger): Promise<void> {
  const specs: Array<[string, Settings]> = [
    [names.turns, turnsSettings],
    [names.sessions, sessionsSettings],
    [names.state, stateSettings],
  ];
  const tasks: number[] = [];
  for (const [uid, settings] of specs) {
    if (!(await client.getIndex(uid))) {
      tasks.push(await client.createIndex(uid, 'id'));
    }
    tasks.push(await client.updateSettings(uid, settings));
  }
  await client.waitForTasks(tasks);
  await migrateDocuments(client, names, log);
}

/** True when all indexes exist: what /ready checks. */
export async function indexesExist(client: EngineClient, names: IndexNames): Promise<boolean> {
  for (const uid of [names.turns, names.sessions]) {
    if (!(await client.getIndex(uid))) return false;
  }
  return true;
}
