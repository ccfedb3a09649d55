import { httpUrlOrNull, type Session } from '../../model.js';
import type { AgentSessionSummary } from './schema.js';

/**
 * AgentSessionSummary → canonical session (CONTRACT.md §5). Turn time is `created_at + ts`; scalar
 * metadata entries become tags.
 */
export function mapAgentSession(summary: AgentSessionSummary): Session {
  const createdAt = Date.parse(summary.created_at) / 1000;
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(summary.metadata ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') tags[key] = String(value);
  }
  const ordered = summary.transcript
    .map((turn, position) => ({ turn, order: turn.turn_index ?? position }))
    .sort((a, b) => a.order - b.order);
  return {
    sessionId: summary.session_id,
    source: 'agents',
    companionId: summary.character_slug ?? null,
    externalClientId: summary.user == null ? null : String(summary.user),
    tenantId: summary.tenant_id ?? null,
    tags,
    createdAt,
    startedAt: createdAt,
    closedAt: summary.finalized_at ? Date.parse(summary.finalized_at) / 1000 : null,
    durationSeconds: summary.session_duration_seconds ?? null,
    functions: [],
    knowledgeBaseId: null,
    faqIds: [],
    usage: {
      llmInputTokens: summary.llm_input_tokens ?? null,
      llmOutputTokens: summary.llm_output_tokens ?? null,
      sttAudioSeconds: summary.stt_audio_seconds ?? null,
      ttsCharacters: summary.tts_characters ?? null,
      costUsd: summary.estimated_cost_usd ?? null,
      interruptionCount: summary.interruption_count ?? null,
    },
    hasRecording: Boolean(summary.recording_url || summary.recording_presigned_url),
    // `recording_url` is the private S3 URI ("s3://…"): kept only if it is a link a browser can open.
    // The presigned URL is never kept: it expires (GET /v1/sessions/{id}/recording fetches a fresh one).
    recordingUrl: httpUrlOrNull(summary.recording_url),
    // Renumbered 0..n-1 in transcript order: turn documents are keyed by index, and a vendor gap
    // or duplicate index must not make two turns share one document.
    turns: ordered.map(({ turn }, turnIndex) => ({
      turnIndex,
      role: turn.role === 'user' ? 'user' : 'agent',
      text: turn.text,
      timestamp: turn.ts == null ? null : createdAt + turn.ts,
      offsetSeconds: turn.ts ?? null,
    })),
  };
}
