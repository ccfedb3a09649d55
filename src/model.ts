import { z } from 'zod';

/**
 * The vendor-neutral session every source is mapped to (CONTRACT.md §5). Times are Unix seconds, which
 * is what the engine filters and sorts on; the HTTP layer turns them into ISO-8601 for callers.
 */
export const Role = z.enum(['user', 'agent']);
export type Role = z.infer<typeof Role>;

export const SourceKind = z.enum(['napster', 'agents']);
export type SourceKind = z.infer<typeof SourceKind>;

const unixSeconds = z.number().finite().nonnegative();

export const Turn = z.object({
  turnIndex: z.number().int().nonnegative(),
  role: Role,
  text: z.string(),
  timestamp: unixSeconds.nullable(),
  offsetSeconds: z.number().finite().nullable(),
});
export type Turn = z.infer<typeof Turn>;

export const Usage = z.object({
  llmInputTokens: z.number().nonnegative().nullable(),
  llmOutputTokens: z.number().nonnegative().nullable(),
  sttAudioSeconds: z.number().nonnegative().nullable(),
  ttsCharacters: z.number().nonnegative().nullable(),
  costUsd: z.number().nonnegative().nullable(),
  interruptionCount: z.number().nonnegative().nullable(),
});
export type Usage = z.infer<typeof Usage>;

export const Session = z.object({
  sessionId: z.string().min(1).max(512),
  source: SourceKind,
  companionId: z.string().nullable(),
  externalClientId: z.string().nullable(),
  tenantId: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  createdAt: unixSeconds,
  startedAt: unixSeconds.nullable(),
  closedAt: unixSeconds.nullable(),
  durationSeconds: z.number().nonnegative().nullable(),
  /** Napster's session configuration: the tools, knowledge base and FAQs the session had. */
  functions: z.array(z.string()),
  knowledgeBaseId: z.string().nullable(),
  faqIds: z.array(z.string()),
  usage: Usage,
  /** The vendor keeps a recording of the call (fetched fresh when played: its links expire). */
  hasRecording: z.boolean(),
  /** A recording link a browser may open: http(s) only, never `s3://` or `javascript:`. */
  recordingUrl: z.string().nullable(),
  turns: z.array(Turn),
});
export type Session = z.infer<typeof Session>;

export const emptyUsage: Usage = {
  llmInputTokens: null,
  llmOutputTokens: null,
  sttAudioSeconds: null,
  ttsCharacters: null,
  costUsd: null,
  interruptionCount: null,
};

/** Only http(s) URLs may become links in a page; anything else (s3://, javascript:, data:) is dropped. */
export function httpUrlOrNull(value: string | null | undefined): string | null {
  if (!value || !URL.canParse(value)) return null;
  const { protocol } = new URL(value);
  return protocol === 'https:' || protocol === 'http:' ? value : null;
}
