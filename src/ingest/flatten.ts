import { createHash } from 'node:crypto';
import type { Role, Session, SourceKind } from '../model.js';
import { InvalidRecordError } from '../sources/source.js';

/**
 * One session becomes one session document and one document per turn. Turn documents carry every
 * field a filter or a session-level statistic needs, so a search on the turns index can answer
 * "which sessions" questions with `distinct: sessionId` and no join.
 */
export type TurnDocument = {
  id: string;
  sessionId: string;
  source: SourceKind;
  turnIndex: number;
  role: Role;
  text: string;
  timestamp: number | null;
  offsetSeconds: number | null;
  companionId: string | null;
  externalClientId: string | null;
  tenantId: string | null;
  tags: string[];
  functions: string[];
  knowledgeBaseId: string | null;
  faqIds: string[];
  sessionStartedAt: number;
  sessionDurationSeconds: number | null;
  sessionTurnCount: number;
  sessionLlmInputTokens: number | null;
  sessionLlmOutputTokens: number | null;
  sessionTokens: number | null;
  sessionSttAudioSeconds: number | null;
  sessionTtsCharacters: number | null;
  sessionCostUsd: number | null;
};

export type SessionDocument = {
  id: string;
  sessionId: string;
  source: SourceKind;
  companionId: string | null;
  externalClientId: string | null;
  tenantId: string | null;
  tags: string[];
  functions: string[];
  knowledgeBaseId: string | null;
  faqIds: string[];
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
  hasRecording: boolean;
  recordingUrl: string | null;
  /** The opening of the conversation, for result lists when no query text matched. */
  preview: string;
};

const SAFE_ID = /^[A-Za-z0-9_-]{1,400}$/;
const PREVIEW_CHARS = 240;

/**
 * Engine document ids allow only [A-Za-z0-9_-] and 511 bytes; vendor ids are usually such strings and
 * are kept as they are (readable in the engine), anything else is hashed. Deterministic, so
 * re-ingesting a session replaces its documents instead of adding new ones.
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

function sumOrNull(...values: Array<number | null>): number | null {
  return values.every((value) => value === null) ? null : values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
}

export function sessionDuration(session: Session): number | null {
  if (session.durationSeconds !== null) return session.durationSeconds;
  const start = session.startedAt ?? session.createdAt;
  if (session.closedAt !== null) return Math.max(0, session.closedAt - start);
  return null;
}

/**
 * Cut at a code point boundary: a lone surrogate half (an emoji cut in two) makes the engine reject
 * the whole document batch ("unexpected end of hex escape"), not only this document.
 */
function previewOf(text: string): string {
  if (text.length <= PREVIEW_CHARS) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(PREVIEW_CHARS - 1)) ? PREVIEW_CHARS - 1 : PREVIEW_CHARS;
  return text.slice(0, end);
}

/**
 * Vendor strings may carry lone surrogate halves (an emoji cut in two upstream). JSON.stringify keeps
 * them as `\ud83d` escapes, which the engine refuses for the whole batch: replace them with U+FFFD.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function wellFormed<T extends string | null>(value: T): T {
  return (value === null ? value : value.replace(LONE_SURROGATE, '\uFFFD')) as T;
}

export function flattenSession(session: Session): { session: SessionDocument; turns: TurnDocument[] } {
  // An id cannot be repaired without becoming another id; such a session is reported and skipped.
  if (wellFormed(session.sessionId) !== session.sessionId) throw new InvalidRecordError('session id is not valid Unicode (lone surrogate)');
  const startedAt = session.startedAt ?? session.createdAt;
  const tags = tagStrings(session.tags).map(wellFormed);
  const companionId = wellFormed(session.companionId);
  const externalClientId = wellFormed(session.externalClientId);
  const tenantId = wellFormed(session.tenantId);
  const functions = session.functions.map(wellFormed);
  const knowledgeBaseId = wellFormed(session.knowledgeBaseId);
  const faqIds = session.faqIds.map(wellFormed);
  const { usage } = session;
  const durationSeconds = sessionDuration(session);
  const tokens = sumOrNull(usage.llmInputTokens, usage.llmOutputTokens);
  let userTurnCount = 0;
  const turns = session.turns.map((turn): TurnDocument => {
    if (turn.role === 'user') userTurnCount++;
    return {
      id: turnDocumentId(session.sessionId, turn.turnIndex),
      sessionId: session.sessionId,
      source: session.source,
      turnIndex: turn.turnIndex,
      role: turn.role,
      text: wellFormed(turn.text),
      timestamp: turn.timestamp,
      offsetSeconds: turn.offsetSeconds,
      companionId,
      externalClientId,
      tenantId,
      tags,
      functions,
      knowledgeBaseId,
      faqIds,
      sessionStartedAt: startedAt,
      sessionDurationSeconds: durationSeconds,
      sessionTurnCount: session.turns.length,
      sessionLlmInputTokens: usage.llmInputTokens,
      sessionLlmOutputTokens: usage.llmOutputTokens,
      sessionTokens: tokens,
      sessionSttAudioSeconds: usage.sttAudioSeconds,
      sessionTtsCharacters: usage.ttsCharacters,
      sessionCostUsd: usage.costUsd,
    };
  });
  const firstUserTurn = session.turns.find((turn) => turn.role === 'user') ?? session.turns[0];
  return {
    session: {
      id: documentKey(session.sessionId),
      sessionId: session.sessionId,
      source: session.source,
      companionId,
      externalClientId,
      tenantId,
      tags,
      functions,
      knowledgeBaseId,
      faqIds,
      createdAt: session.createdAt,
      startedAt,
      closedAt: session.closedAt,
      inProgress: session.closedAt === null,
      durationSeconds,
      turnCount: session.turns.length,
      userTurnCount,
      agentTurnCount: session.turns.length - userTurnCount,
      llmInputTokens: usage.llmInputTokens,
      llmOutputTokens: usage.llmOutputTokens,
      tokens,
      sttAudioSeconds: usage.sttAudioSeconds,
      ttsCharacters: usage.ttsCharacters,
      costUsd: usage.costUsd,
      interruptionCount: usage.interruptionCount,
      hasRecording: session.hasRecording,
      recordingUrl: wellFormed(session.recordingUrl),
      preview: previewOf(wellFormed(firstUserTurn?.text ?? '')),
    },
    turns,
  };
}
