import { z } from 'zod';

/**
 * Agent-sessions API payloads, as the vendor's pages describe them (../shared/vendor-api/): a
 * `{success, message, data, errors}` envelope around `AgentSessionSummary` objects with inline
 * transcripts. Unknown fields are allowed (vendors add fields); the ones we map must have the right
 * types.
 */
export const AgentTranscriptTurn = z.object({
  // The pages name "user" and "assistant"; "agent" is accepted as the same side.
  role: z.enum(['user', 'assistant', 'agent']),
  text: z.string(),
  turn_index: z.number().int().nonnegative().nullish(),
  // Seconds since the session started; a week bounds any call and keeps created_at + ts a real date.
  ts: z.number().finite().nonnegative().max(7 * 86_400, 'expected seconds since the session started, at most a week').nullish(),
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
  recording_presigned_url: z.string().nullish(),
  transcript: z.array(AgentTranscriptTurn),
});
export type AgentSessionSummary = z.infer<typeof AgentSessionSummary>;

/** "The top-level fields reflect the filtered queryset": totals over every matching session, not the page. */
export const AgentSessionTotals = z.object({
  total_sessions: z.number().int().nonnegative().nullish(),
  total_llm_input_tokens: z.number().nonnegative().nullish(),
  total_llm_output_tokens: z.number().nonnegative().nullish(),
  total_stt_audio_seconds: z.number().nonnegative().nullish(),
  total_tts_characters: z.number().nonnegative().nullish(),
  total_estimated_cost_usd: z.number().nonnegative().nullish(),
});
export type AgentSessionTotals = z.infer<typeof AgentSessionTotals>;

const link = z.string().nullish();
const total = z.number().int().nonnegative().nullish();

/**
 * The list page: "Each entry in sessions.data is a full AgentSessionSummary"; "sessions.pagination.next
 * and previous are absolute URLs you can fetch directly. count is the total before pagination". A real
 * server may put `count` beside `pagination` instead of inside it; both are read. Entries are checked
 * one by one, so one bad record does not lose the page.
 */
export const AgentSessionPage = z.object({
  success: z.boolean().nullish(),
  message: z.string().nullish(),
  errors: z.unknown().nullish(),
  data: AgentSessionTotals.extend({
    sessions: z.object({
      data: z.array(z.unknown()),
      pagination: z.object({ next: link, previous: link, count: total }),
      count: total,
    }),
  }),
});
export type AgentSessionPage = z.infer<typeof AgentSessionPage>;

/** What a list page looks like, in the words of an error message when one does not. */
export const AGENT_PAGE_SHAPE =
  '{success, message, data: {total_sessions, total_llm_input_tokens, ..., sessions: {data: [AgentSessionSummary...], pagination: {next, previous, count}}}, errors}';

/** The detail answer: the envelope around one AgentSessionSummary (checked on its own). */
export const AgentSessionDetailEnvelope = z.object({
  success: z.boolean().nullish(),
  message: z.string().nullish(),
  data: z.unknown(),
});
