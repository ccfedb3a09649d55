import { createHash } from 'node:crypto';
import type { Role, SourceKind } from '../model.js';

/*
 * What the engine stores: one session document per session and one turn document per utterance.
 * Turn documents carry every field a filter or a session-level statistic needs, so a search on the
 * turns index can answer "which sessions" questions with `distinct` and no join.
 *
 * Identity is exact, and the engine's filter equality is not: it ignores case, width and surrounding
 * spaces (`companionId = "user_1"` matches `USER_1`, ` user_1 ` and `ｕser_1`), and its facet counts
 * merge such values into one. So every id a filter, a facet, a scope or a deletion is built on is also
 * stored as an exact key: the lowercase hex of its UTF-8 bytes, which no normalisation changes and
 * which decodes back to the id. Tags (`key:value`) are keyed the same way, so a filter or a facet count
 * means exactly the values it names. Those keys are the only such attributes the engine filters and
 * facets; the readable values beside them are for display.
 */

/** Who and what a session is: ids, tags and session configuration, each beside its exact key. Both documents carry it. */
export type SessionIdentity = {
  sessionId: string;
  sessionKey: string;
  source: SourceKind;
  companionId: string | null;
  companionKey: string | null;
  externalClientId: string | null;
  clientKey: string | null;
  tenantId: string | null;
  tenantKey: string | null;
  tags: string[];
  tagKeys: string[];
  functions: string[];
  functionKeys: string[];
  knowledgeBaseId: string | null;
  knowledgeBaseKey: string | null;
  faqIds: string[];
  faqKeys: string[];
};

export type TurnDocument = SessionIdentity & {
  id: string;
  turnIndex: number;
  role: Role;
  text: string;
  timestamp: number | null;
  /** UTC day of `timestamp`, in days since 1970-01-01: what trends count per day, as a facet. */
  day: number | null;
  /**
   * The write batch that last stored this turn (index-writer.ts): trackers evaluate what arrived by
   * filtering on it. Absent on documents written before trackers existed.
   */
  arrival?: number;
  offsetSeconds: number | null;
  sessionStartedAt: number;
  sessionDurationSeconds: number | null;
  sessionTurnCount: number;
  sessionLlmInputTokens: number | null;
  sessionLlmOutputTokens: number | null;
  sessionTokens: number | null;
  sessionSttAudioSeconds: number | null;
  sessionTtsCharacters: number | null;
  sessionCostUsd: number | null;
  /** Only on turns of a session whose text is too long for its session document (`textComplete` false). */
  longSession?: true;
};

export type SessionDocument = SessionIdentity & {
  id: string;
  createdAt: number;
  startedAt: number;
  closedAt: number | null;
  inProgress: boolean;
  durationSeconds: number | null;
  turnCount: number;
  userTurnCount: number;
  agentTurnCount: number;
  llmInputTokens: number | null;
  llmOutputTokens: number | null;
  tokens: number | null;
  sttAudioSeconds: number | null;
  ttsCharacters: number | null;
  costUsd: number | null;
  interruptionCount: number | null;
  /**
   * What each side said, one element per turn, in order, with the turn index of each element beside
   * it: session search matches the conversation here, in one document per session (no `distinct`).
   * Empty when the text passes what the engine indexes of one attribute (`textComplete` false); such
   * sessions are searched through their turns (`longSession` on each).
   */
  userText: string[];
  agentText: string[];
  userTurns: number[];
  agentTurns: number[];
  textComplete: boolean;
  hasRecording: boolean;
  recordingUrl: string | null;
  /** The opening of the conversation, for result lists when no query text matched. */
  preview: string;
};

/** Unix seconds → the UTC day it falls in, in days since 1970-01-01. */
export function dayOf(unixSeconds: number | null): number | null {
  return unixSeconds === null ? null : Math.floor(unixSeconds / 86_400);
}

/**
 * Ids longer than this (in UTF-8 bytes) are refused at ingest: their key would pass the length the
 * engine keeps of a facet value (measured: 440 characters kept whole, 470 not), and a cut key would
 * no longer be exact.
 */
export const MAX_ID_BYTES = 200;

/** An id as the engine filters it: hex of its UTF-8 bytes, unchanged by any case or width folding. */
export function exactKey(id: string): string {
  return Buffer.from(id, 'utf8').toString('hex');
}

export function exactKeyOrNull(id: string | null): string | null {
  return id === null ? null : exactKey(id);
}

/** The id an exact key stands for. */
export function idOfKey(key: string): string {
  return Buffer.from(key, 'hex').toString('utf8');
}

/**
 * The attributes searches filter and facet on by value, by their API name, and the key attribute the
 * engine holds for each. The rest of the code asks this table; none writes a key attribute's name itself.
 */
export const KEYED = {
  sessionId: 'sessionKey',
  companionId: 'companionKey',
  externalClientId: 'clientKey',
  tenantId: 'tenantKey',
  tags: 'tagKeys',
  knowledgeBaseId: 'knowledgeBaseKey',
  functions: 'functionKeys',
  faqIds: 'faqKeys',
} as const;
export type KeyedField = keyof typeof KEYED;

const SAFE_ID = /^[A-Za-z0-9_-]{1,400}$/;

/**
 * Engine document ids allow only [A-Za-z0-9_-] and 511 bytes, and are compared exactly; vendor ids are
 * usually such strings and are kept as they are (readable in the engine), anything else is hashed.
 * Deterministic, so re-ingesting a session replaces its documents instead of adding new ones.
 */
export function documentKey(sessionId: string): string {
  return SAFE_ID.test(sessionId) ? sessionId : `h_${createHash('sha256').update(sessionId).digest('base64url')}`;
}

export function turnDocumentId(sessionId: string, turnIndex: number): string {
  // The turn index has no underscore, so splitting at the last one is unambiguous: ids never collide.
  return `${documentKey(sessionId)}_${turnIndex}`;
}

export function tagStrings(tags: Record<string, string>): string[] {
  return Object.entries(tags).map(([key, value]) => `${key}:${value}`);
}

export function tagObject(tags: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags) {
    const colon = tag.indexOf(':');
    result[colon === -1 ? tag : tag.slice(0, colon)] = colon === -1 ? '' : tag.slice(colon + 1);
  }
  return result;
}

/**
 * Positions the engine indexes of one attribute (Meilisearch: 65,535; words past them are not found),
 * with room to spare for how it counts them.
 */
const SESSION_TEXT_POSITIONS = 60_000;

/**
 * Positions a turn's text takes in an array attribute, over-estimated: a word takes one, a hard
 * separator (. ! ? ; : and line breaks) up to eight, and the step from one array element to the next
 * eight.
 */
function positions(text: string): number {
  const words = text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  const hard = text.match(/[.!?;:\n]+/g)?.length ?? 0;
  return words + 8 * hard + 8;
}

/** The session document's text fields: each side's turns, or none when one side's text would not fit. */
export function sessionText(turns: readonly Pick<TurnDocument, 'role' | 'text' | 'turnIndex'>[]): Pick<SessionDocument, 'userText' | 'agentText' | 'userTurns' | 'agentTurns' | 'textComplete'> {
  const text = { userText: [] as string[], agentText: [] as string[], userTurns: [] as number[], agentTurns: [] as number[] };
  const used = { user: 0, agent: 0 };
  for (const turn of turns) {
    used[turn.role] += positions(turn.text);
    if (used[turn.role] > SESSION_TEXT_POSITIONS) return { userText: [], agentText: [], userTurns: [], agentTurns: [], textComplete: false };
    text[`${turn.role}Text`].push(turn.text);
    text[`${turn.role}Turns`].push(turn.turnIndex);
  }
  return { ...text, textComplete: true };
}
