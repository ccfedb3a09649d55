import { emptyUsage, type Session } from '../../model.js';
import type { NapsterSessionDetail } from './schema.js';

/** Napster detail → canonical session (CONTRACT.md §5). Turn offsets are `timestamp − startedAt`. */
export function mapNapsterSession(detail: NapsterSessionDetail): Session {
  const startedAt = detail.startedAt ?? detail.createdAt;
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(detail.tags ?? {})) tags[key] = String(value);
  return {
    sessionId: detail.id,
    source: 'napster',
    companionId: detail.companionId ?? null,
    externalClientId: detail.externalClientId ?? null,
    tenantId: null,
    tags,
    createdAt: detail.createdAt,
    startedAt,
    closedAt: detail.closedAt ?? null,
    durationSeconds: null,
    functions: detail.functions ?? [],
    knowledgeBaseId: detail.knowledgeBaseId ?? null,
    faqIds: detail.faqIds ?? [],
    usage: emptyUsage,
    hasRecording: false,
    recordingUrl: null,
    turns: detail.conversation.items.map((item, turnIndex) => ({
      turnIndex,
      role: item.role,
      text: item.text,
      timestamp: item.timestamp ?? null,
      offsetSeconds: item.timestamp == null ? null : item.timestamp - startedAt,
    })),
  };
}
