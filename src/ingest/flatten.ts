import {
  exactKey,
  exactKeyOrNull,
  dayOf,
  documentKey,
  sessionText,
  tagStrings,
  turnDocumentId,
  type SessionDocument,
  type SessionIdentity,
  type TurnDocument,
} from '../engine/documents.js';
import { withoutMarks } from '../engine/highlight.js';
import type { Session } from '../model.js';
import { InvalidRecordError } from '../sources/source.js';
import { checkSessionLimits } from './limits.js';

/* One session → one session document and one document per turn (their shapes: engine/documents.ts). */

const PREVIEW_CHARS = 240;

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
  checkSessionLimits(session);
  const startedAt = session.startedAt ?? session.createdAt;
  const tags = tagStrings(session.tags).map(wellFormed);
  const companionId = wellFormed(session.companionId);
  const externalClientId = wellFormed(session.externalClientId);
  const tenantId = wellFormed(session.tenantId);
  const functions = session.functions.map(wellFormed);
  const knowledgeBaseId = wellFormed(session.knowledgeBaseId);
  const faqIds = session.faqIds.map(wellFormed);
  // Built once per session and copied onto each turn.
  const identity: SessionIdentity = {
    sessionId: session.sessionId,
    sessionKey: exactKey(session.sessionId),
    source: session.source,
    companionId,
    companionKey: exactKeyOrNull(companionId),
    externalClientId,
    clientKey: exactKeyOrNull(externalClientId),
    tenantId,
    tenantKey: exactKeyOrNull(tenantId),
    tags,
    tagKeys: tags.map(exactKey),
    functions,
    functionKeys: functions.map(exactKey),
    knowledgeBaseId,
    knowledgeBaseKey: exactKeyOrNull(knowledgeBaseId),
    faqIds,
    faqKeys: faqIds.map(exactKey),
  };
  const { usage } = session;
  const durationSeconds = sessionDuration(session);
  const tokens = sumOrNull(usage.llmInputTokens, usage.llmOutputTokens);
  let userTurnCount = 0;
  const turns = session.turns.map((turn): TurnDocument => {
    if (turn.role === 'user') userTurnCount++;
    return {
      id: turnDocumentId(session.sessionId, turn.turnIndex),
      ...identity,
      turnIndex: turn.turnIndex,
      role: turn.role,
      text: withoutMarks(wellFormed(turn.text)),
      timestamp: turn.timestamp,
      day: dayOf(turn.timestamp),
      offsetSeconds: turn.offsetSeconds,
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
  const text = sessionText(turns);
  if (!text.textComplete) for (const turn of turns) turn.longSession = true;
  return {
    session: {
      id: documentKey(session.sessionId),
      ...identity,
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
      ...text,
      hasRecording: session.hasRecording,
      recordingUrl: wellFormed(session.recordingUrl),
      preview: previewOf(wellFormed(firstUserTurn?.text ?? '')),
    },
    turns,
  };
}
