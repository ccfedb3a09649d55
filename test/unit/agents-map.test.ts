import { describe, expect, it } from 'vitest';
import { Session } from '../../src/model.js';
import { mapAgentSession } from '../../src/sources/agents/map.js';
import { AgentSessionSummary } from '../../src/sources/agents/schema.js';

const CREATED = Date.parse('2026-03-01T12:00:00.000Z') / 1000;
const PRESIGNED = 'https://rec.example.test/0b6f5a3e.ogg?X-Amz-Signature=abc';

// The presigned URL is put back after parsing: the mapping must drop it even if the schema kept it.
const summary = {
  ...AgentSessionSummary.parse({
    session_id: '0b6f5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    tenant_id: 'tenant-east',
    character_slug: 'pizza-bot',
    user: 'u-17',
    metadata: { plan: 'pro', seats: 3, trial: false, nested: { a: 1 }, list: ['x'], gone: null },
    created_at: '2026-03-01T12:00:00.000Z',
    finalized_at: '2026-03-01T12:01:00.000Z',
    session_duration_seconds: 58,
    interruption_count: 1,
    llm_input_tokens: 500,
    llm_output_tokens: 40,
    stt_audio_seconds: 20,
    tts_characters: 90,
    estimated_cost_usd: 0.0021,
    recording_url: 's3://rec/0b6f5a3e.ogg',
    transcript: [
      { role: 'user', text: 'A margherita, please.', turn_index: 0, ts: 3.5 },
      { role: 'assistant', text: 'Coming right up.', turn_index: 1, ts: 6 },
    ],
  }),
  recording_presigned_url: PRESIGNED,
};

describe('mapAgentSession', () => {
  it('maps the ids of CONTRACT §5: session_id, character_slug, user, tenant_id', () => {
    expect(mapAgentSession(summary)).toMatchObject({
      sessionId: '0b6f5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      source: 'agents',
      companionId: 'pizza-bot',
      externalClientId: 'u-17',
      tenantId: 'tenant-east',
    });
  });

  it('produces a session the canonical model accepts', () => {
    expect(Session.safeParse(mapAgentSession(summary)).success).toBe(true);
  });

  it('makes tags of the scalar metadata entries only, as strings', () => {
    expect(mapAgentSession(summary).tags).toEqual({ plan: 'pro', seats: '3', trial: 'false' });
  });

  it('maps missing metadata to no tags', () => {
    expect(mapAgentSession({ ...summary, metadata: null }).tags).toEqual({});
  });

  it('turns a numeric user into a string client id and a missing one into null', () => {
    expect(mapAgentSession({ ...summary, user: 1234 }).externalClientId).toBe('1234');
    expect(mapAgentSession({ ...summary, user: null }).externalClientId).toBeNull();
  });

  it('maps missing companion and tenant to null', () => {
    const mapped = mapAgentSession({ ...summary, character_slug: null, tenant_id: undefined });
    expect(mapped.companionId).toBeNull();
    expect(mapped.tenantId).toBeNull();
  });

  it('converts created_at and finalized_at to Unix seconds; the session starts when created', () => {
    expect(mapAgentSession(summary)).toMatchObject({ createdAt: CREATED, startedAt: CREATED, closedAt: CREATED + 60 });
  });

  it('is in progress (closedAt null) while finalized_at is null', () => {
    expect(mapAgentSession({ ...summary, finalized_at: null }).closedAt).toBeNull();
  });

  it('maps assistant to agent and keeps user', () => {
    expect(mapAgentSession(summary).turns.map((turn) => turn.role)).toEqual(['user', 'agent']);
    const transcript = [{ role: 'agent' as const, text: 'hi' }];
    expect(mapAgentSession({ ...summary, transcript }).turns[0]!.role).toBe('agent');
  });

  it('sets the turn timestamp to created_at + ts and the offset to ts', () => {
    const [first, second] = mapAgentSession(summary).turns;
    expect(first).toMatchObject({ turnIndex: 0, text: 'A margherita, please.', timestamp: CREATED + 3.5, offsetSeconds: 3.5 });
    expect(second).toMatchObject({ turnIndex: 1, text: 'Coming right up.', timestamp: CREATED + 6, offsetSeconds: 6 });
  });

  it('leaves timestamp and offset null for a turn without ts', () => {
    const transcript = [{ role: 'user' as const, text: 'hi', ts: null }];
    expect(mapAgentSession({ ...summary, transcript }).turns[0]).toMatchObject({ timestamp: null, offsetSeconds: null });
  });

  it('orders turns by turn_index and renumbers them from 0 without gaps', () => {
    const transcript = [
      { role: 'assistant' as const, text: 'third', turn_index: 7, ts: 9 },
      { role: 'user' as const, text: 'first', turn_index: 2, ts: 1 },
      { role: 'user' as const, text: 'second', turn_index: 5, ts: 4 },
    ];
    const turns = mapAgentSession({ ...summary, transcript }).turns;
    expect(turns.map((turn) => [turn.turnIndex, turn.text])).toEqual([
      [0, 'first'],
      [1, 'second'],
      [2, 'third'],
    ]);
  });

  it('gives turns sharing a vendor turn_index distinct indexes', () => {
    const transcript = [
      { role: 'user' as const, text: 'a', turn_index: 0 },
      { role: 'assistant' as const, text: 'b', turn_index: 0 },
    ];
    expect(mapAgentSession({ ...summary, transcript }).turns.map((turn) => turn.turnIndex)).toEqual([0, 1]);
  });

  it('copies duration and usage figures', () => {
    expect(mapAgentSession(summary)).toMatchObject({
      durationSeconds: 58,
      usage: {
        llmInputTokens: 500,
        llmOutputTokens: 40,
        sttAudioSeconds: 20,
        ttsCharacters: 90,
        costUsd: 0.0021,
        interruptionCount: 1,
      },
    });
  });

  it('leaves unknown usage figures null', () => {
    const bare = AgentSessionSummary.parse({ session_id: 's', created_at: '2026-03-01T12:00:00Z', transcript: [] });
    const mapped = mapAgentSession(bare);
    expect(mapped.durationSeconds).toBeNull();
    expect(Object.values(mapped.usage).every((value) => value === null)).toBe(true);
  });

  it('notes that a recording exists, keeps no s3:// link a page cannot open, and never the expiring presigned URL', () => {
    const mapped = mapAgentSession(summary);
    expect(mapped.hasRecording).toBe(true);
    expect(mapped.recordingUrl).toBeNull();
    expect(JSON.stringify(mapped)).not.toContain(PRESIGNED);
    expect(JSON.stringify(mapped)).not.toContain('X-Amz-Signature');
  });

  it('keeps an http(s) recording URL, and only that: javascript: and data: URLs are dropped', () => {
    expect(mapAgentSession({ ...summary, recording_url: 'https://cdn.example.test/r.ogg' }).recordingUrl).toBe('https://cdn.example.test/r.ogg');
    for (const url of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:audio/ogg;base64,AA==', 'vbscript:x']) {
      expect(mapAgentSession({ ...summary, recording_url: url }).recordingUrl, url).toBeNull();
    }
  });

  it('keeps no link at all when only a presigned URL is given, but notes the recording', () => {
    const mapped = mapAgentSession({ ...summary, recording_url: null });
    expect(mapped.recordingUrl).toBeNull();
    expect(mapped.hasRecording).toBe(true);
    expect(JSON.stringify(mapped)).not.toContain(PRESIGNED);
  });
});
