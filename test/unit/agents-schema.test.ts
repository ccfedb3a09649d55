import { describe, expect, it } from 'vitest';
import { AgentSessionDetailEnvelope, AgentSessionPage, AgentSessionSummary } from '../../src/sources/agents/schema.js';
import { describeZodError } from '../../src/sources/source.js';

const summary = {
  session_id: '0b6f5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
  tenant_id: 'tenant-east',
  character_slug: 'pizza-bot',
  user: 'u-17',
  room_name: 'room-0b6f5a3e',
  origin_url: 'https://shop.example.test/order',
  metadata: { plan: 'pro', region: 'eu' },
  created_at: '2026-03-01T12:00:00.000Z',
  finalized_at: '2026-03-01T12:01:00.000Z',
  session_duration_seconds: 58,
  turn_count: 2,
  interruption_count: 0,
  llm_input_tokens: 500,
  llm_output_tokens: 40,
  stt_audio_seconds: 20,
  tts_characters: 90,
  estimated_cost_usd: 0.0021,
  recording_url: 's3://rec/0b6f5a3e.ogg',
  recording_presigned_url: 'https://rec.example.test/0b6f5a3e.ogg?X-Amz-Signature=abc',
  transcript: [
    { role: 'user', text: 'A margherita, please.', turn_index: 0, ts: 3.5 },
    { role: 'assistant', text: 'Coming right up.', turn_index: 1, ts: 6 },
  ],
  transcript_text: 'user: A margherita, please.\nassistant: Coming right up.',
};

function problem(record: unknown): string {
  const parsed = AgentSessionSummary.safeParse(record);
  if (parsed.success) throw new Error('expected the record to be rejected');
  return describeZodError(parsed.error);
}

describe('AgentSessionSummary', () => {
  it('accepts a complete session summary', () => {
    expect(AgentSessionSummary.parse(summary).session_id).toBe(summary.session_id);
  });

  it('accepts a minimal summary: session_id, created_at and a transcript', () => {
    expect(AgentSessionSummary.safeParse({ session_id: 's', created_at: '2026-03-01T12:00:00Z', transcript: [] }).success).toBe(true);
  });

  it('accepts null for the optional fields of a session in progress', () => {
    const inProgress = {
      ...summary,
      finalized_at: null,
      user: null,
      metadata: null,
      session_duration_seconds: null,
      estimated_cost_usd: null,
      recording_url: null,
    };
    expect(AgentSessionSummary.safeParse(inProgress).success).toBe(true);
  });

  it('accepts a numeric user id', () => {
    expect(AgentSessionSummary.safeParse({ ...summary, user: 1234 }).success).toBe(true);
  });

  it('accepts metadata with nested values, which the mapping then leaves out', () => {
    expect(AgentSessionSummary.safeParse({ ...summary, metadata: { nested: { a: 1 }, list: [1] } }).success).toBe(true);
  });

  it('accepts transcript turns without turn_index or ts, and the role agent', () => {
    const transcript = [{ role: 'user', text: 'hi' }, { role: 'agent', text: 'hello', ts: null, turn_index: null }];
    expect(AgentSessionSummary.safeParse({ ...summary, transcript }).success).toBe(true);
  });

  it('rejects a summary without a transcript, naming transcript', () => {
    const { transcript: _omitted, ...withoutTranscript } = summary;
    expect(problem(withoutTranscript)).toMatch(/^transcript: /);
  });

  it('rejects a transcript given as text, naming transcript', () => {
    expect(problem({ ...summary, transcript: summary.transcript_text })).toMatch(/^transcript: /);
  });

  it('rejects created_at that is not a date, naming created_at', () => {
    expect(problem({ ...summary, created_at: 'not a date' })).toBe('created_at: expected an ISO-8601 date-time');
    expect(problem({ ...summary, created_at: '2026-13-01T00:00:00Z' })).toMatch(/^created_at: /);
  });

  it('rejects created_at given as a number, naming created_at', () => {
    expect(problem({ ...summary, created_at: 1_772_366_400 })).toMatch(/^created_at: /);
  });

  it('rejects a bad finalized_at, naming finalized_at', () => {
    expect(problem({ ...summary, finalized_at: 'soon' })).toMatch(/^finalized_at: /);
  });

  it('rejects a non-string or empty session_id, naming session_id', () => {
    expect(problem({ ...summary, session_id: 17 })).toMatch(/^session_id: /);
    expect(problem({ ...summary, session_id: '' })).toMatch(/^session_id: /);
  });

  it('rejects an unknown transcript role, naming the turn', () => {
    const transcript = [summary.transcript[0], { role: 'system', text: 'x' }];
    expect(problem({ ...summary, transcript })).toMatch(/^transcript\.1\.role: /);
  });

  it('rejects a negative ts and non-numeric usage figures, naming each', () => {
    expect(problem({ ...summary, transcript: [{ role: 'user', text: 'x', ts: -1 }] })).toMatch(/^transcript\.0\.ts: /);
    expect(problem({ ...summary, llm_input_tokens: '500' })).toMatch(/^llm_input_tokens: /);
    expect(problem({ ...summary, estimated_cost_usd: -0.1 })).toMatch(/^estimated_cost_usd: /);
  });

  it('rejects a boolean user and metadata that is not an object', () => {
    expect(problem({ ...summary, user: true })).toMatch(/^user: /);
    expect(problem({ ...summary, metadata: ['plan'] })).toMatch(/^metadata: /);
  });
});

describe('AgentSessionPage', () => {
  const page = (sessions: unknown, totals: Record<string, unknown> = { total_sessions: 2 }) => ({
    success: true, message: 'ok', errors: null, data: { ...totals, sessions },
  });

  it('accepts the documented envelope whatever sessions.data holds, so each record is checked on its own', () => {
    const parsed = AgentSessionPage.parse(page({ data: [summary, 42], pagination: { next: null, previous: null, count: 2 } }));
    expect(parsed.data.sessions.data).toHaveLength(2);
    expect(parsed.data.sessions.pagination.count).toBe(2);
  });

  it('accepts count beside pagination and extra fields, as a real server may send them', () => {
    const parsed = AgentSessionPage.parse(page({ data: [], pagination: { next: null, previous: null, page: 1 }, count: 0, page_size: 200 }, { total_sessions: 0, extra: 'x' }));
    expect(parsed.data.sessions.count).toBe(0);
  });

  it('rejects the undocumented data.results shape and a page without sessions.data or pagination', () => {
    expect(AgentSessionPage.safeParse({ success: true, data: { results: [summary], count: 1, next: null } }).success).toBe(false);
    expect(AgentSessionPage.safeParse(page({ pagination: { next: null } })).success).toBe(false);
    expect(AgentSessionPage.safeParse(page({ data: [] })).success).toBe(false);
  });

  it('rejects totals that are not numbers', () => {
    expect(AgentSessionPage.safeParse(page({ data: [], pagination: {} }, { total_llm_input_tokens: '12' })).success).toBe(false);
  });
});

describe('AgentSessionDetailEnvelope', () => {
  it('accepts any data, which is then checked as a summary', () => {
    expect(AgentSessionDetailEnvelope.parse({ success: true, data: summary }).data).toEqual(summary);
  });
});

describe('agent session dates', () => {
  const parseDate = (created_at: string) =>
    AgentSessionSummary.safeParse({ session_id: 's', created_at, transcript: [] });

  it('refuses strings that are not ISO-8601 date-times, even when Date.parse takes them', () => {
    for (const value of ['1', 'hello 1', 'May 19 2026 03:38', '2026-05-19', 'yesterday']) {
      expect(parseDate(value).success, value).toBe(false);
    }
  });

  it('reads a date-time without an offset as UTC, whatever the server time zone', () => {
    const parsed = parseDate('2026-05-19T03:38:23');
    expect(parsed.success && Date.parse(parsed.data.created_at)).toBe(Date.UTC(2026, 4, 19, 3, 38, 23));
    const zoned = parseDate('2026-05-19T05:38:23+02:00');
    expect(zoned.success && Date.parse(zoned.data.created_at)).toBe(Date.UTC(2026, 4, 19, 3, 38, 23));
  });
});
