import { z } from 'zod';

/**
 * Agent-sessions API payloads: `AgentSessionSummary` objects with inline transcripts, inside a
 * `{success, message, data, errors}` envelope. Unknown fields are allowed; mapped ones are typed.
 */
export const AgentTranscriptTurn = z.object({
  role: z.enum(['user', 'assistant', 'agent']),
  text: z.string(),
  turn_index: z.number().int().nonnegative().nullish(),
  ts: z.number().finite().nonnegative().nullish(),
});

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO-8601 date-time, returned with an explicit zone: one without an offset is read as UTC, not
 * in this server's time zone (Date.parse would), and anything else Date.parse happens to accept
 * ("1", "May 19 2026") is refused.
 */
const isoDate = z
  .string()
  .regex(ISO_DATE_TIME, 'expected an ISO-8601 date-time')
  .transform((value) => (/(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`))
  .refine((value) => !Number.isNaN(Date.parse(value)), 'expected an ISO-8601 date-time');
const count = z.number().finite().nonnegative().nullish();

export const AgentSessionSummary = z.object({
  session_id: z.string().min(1).max(512),
  tenant_id: z.string().nullish(),
  character_slug: z.string().nullish(),
  user: z.union([z.string(), z.number()]).nullish(),
  room_name: z.string().nullish(),
  origin_url: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  created_at: isoDate,
  finalized_at: isoDate.nullish(),
  session_duration_seconds: count,
  turn_count: count,
  interruption_count: count,
  llm_input_tokens: count,
  llm_output_tokens: count,
  stt_audio_seconds: count,
  tts_characters: count,
  estimated_cost_usd: count,
  recording_url: z.string().nullish(),
  transcript: z.array(AgentTranscriptTurn),
});
export type AgentSessionSummary = z.infer<typeof AgentSessionSummary>;

export const AgentSessionTotals = z.object({
  total_sessions: z.number().nullish(),
  total_llm_input_tokens: z.number().nullish(),
  total_llm_output_tokens: z.number().nullish(),
  total_stt_audio_seconds: z.number().nullish(),
  total_tts_characters: z.number().nullish(),
  total_estimated_cost_usd: z.number().nullish(),
});

/** The list page: items are checked one by one so one bad record does not lose the page. */
export const AgentSessionPage = z.object({
  success: z.boolean().nullish(),
  message: z.string().nullish(),
  errors: z.unknown().nullish(),
  data: AgentSessionTotals.extend({
    results: z.array(z.unknown()),
    count: z.number().int().nonnegative().nullish(),
    next: z.string().nullish(),
    previous: z.string().nullish(),
  }),
});
export type AgentSessionPage = z.infer<typeof AgentSessionPage>;

export const AgentSessionDetailEnvelope = z.object({
  success: z.boolean().nullish(),
  data: z.unknown(),
});
