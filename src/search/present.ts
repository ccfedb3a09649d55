import { tagObject, type SessionDocument, type TurnDocument } from '../engine/documents.js';
import { httpUrlOrNull, type Role } from '../model.js';

/** Index documents → API objects: ISO-8601 times, tags as an object, no engine-only fields. */
/**
 * Total: a time no date can show (stored before times were bounded at ingest) is shown as null rather
 * than failing the whole listing it is part of.
 */
export function isoTime(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return null;
  const date = new Date(Math.round(seconds * 1000));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export type TurnView = {
  sessionId: string;
  turnIndex: number;
  role: Role;
  text: string;
  timestamp: string | null;
  offsetSeconds: number | null;
  companionId: string | null;
  externalClientId: string | null;
  tenantId: string | null;
  tags: Record<string, string>;
};

export function presentTurn(doc: TurnDocument): TurnView {
  return {
    sessionId: doc.sessionId,
    turnIndex: doc.turnIndex,
    role: doc.role,
    text: doc.text,
    timestamp: isoTime(doc.timestamp),
    offsetSeconds: doc.offsetSeconds,
    companionId: doc.companionId,
    externalClientId: doc.externalClientId,
    tenantId: doc.tenantId,
    tags: tagObject(doc.tags ?? []),
  };
}

export function presentSession(doc: SessionDocument) {
  return {
    sessionId: doc.sessionId,
    source: doc.source,
    companionId: doc.companionId,
    externalClientId: doc.externalClientId,
    tenantId: doc.tenantId,
    tags: tagObject(doc.tags ?? []),
    functions: doc.functions ?? [],
    knowledgeBaseId: doc.knowledgeBaseId ?? null,
    faqIds: doc.faqIds ?? [],
    createdAt: isoTime(doc.createdAt),
    startedAt: isoTime(doc.startedAt),
    closedAt: isoTime(doc.closedAt),
    inProgress: doc.inProgress,
    durationSeconds: doc.durationSeconds,
    turnCount: doc.turnCount,
    userTurnCount: doc.userTurnCount,
    agentTurnCount: doc.agentTurnCount,
    llmInputTokens: doc.llmInputTokens,
    llmOutputTokens: doc.llmOutputTokens,
    tokens: doc.tokens,
    sttAudioSeconds: doc.sttAudioSeconds,
    ttsCharacters: doc.ttsCharacters,
    costUsd: doc.costUsd,
    interruptionCount: doc.interruptionCount,
    // Indexed by an older version: only http(s) links ever reach a caller.
    hasRecording: doc.hasRecording ?? doc.recordingUrl != null,
    recordingUrl: httpUrlOrNull(doc.recordingUrl),
  };
}
