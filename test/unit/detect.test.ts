import { describe, expect, it } from 'vitest';
import { Session } from '../../src/model.js';
import { parseVendorSession } from '../../src/sources/detect.js';
import { InvalidRecordError } from '../../src/sources/source.js';

const napster = {
  id: 'sess_detect_1',
  companionId: 'comp_travel',
  externalClientId: 'client_3',
  tags: { channel: 'phone' },
  createdAt: 1_760_000_000,
  startedAt: 1_760_000_002,
  closedAt: null,
  conversation: {
    items: [
      { role: 'user', text: 'Book me a flight.', timestamp: 1_760_000_010 },
      { role: 'agent', text: 'Where to?', timestamp: 1_760_000_012 },
    ],
  },
};

const PRESIGNED = 'https://rec.example.test/a.ogg?X-Amz-Signature=secret';

const agent = {
  session_id: '7d1c9e2a-0000-4000-8000-000000000001',
  tenant_id: 'tenant-west',
  character_slug: 'travel-bot',
  user: 99,
  metadata: { plan: 'free', flags: { beta: true } },
  created_at: '2026-04-01T08:00:00Z',
  finalized_at: null,
  recording_url: 's3://rec/a.ogg',
  recording_presigned_url: PRESIGNED,
  transcript: [
    { role: 'user', text: 'Book me a flight.', turn_index: 0, ts: 2 },
    { role: 'assistant', text: 'Where to?', turn_index: 1, ts: 4.25 },
  ],
  transcript_text: 'user: Book me a flight.\nassistant: Where to?',
};

function rejection(record: unknown): InvalidRecordError {
  try {
    parseVendorSession(record);
  } catch (error) {
    if (error instanceof InvalidRecordError) return error;
    throw error;
  }
  throw new Error('expected the record to be rejected');
}

describe('parseVendorSession', () => {
  it('reads a Napster session detail into the canonical model', () => {
    const session = parseVendorSession(napster);
    expect(Session.safeParse(session).success).toBe(true);
    expect(session).toMatchObject({
      sessionId: 'sess_detect_1',
      source: 'napster',
      companionId: 'comp_travel',
      externalClientId: 'client_3',
      tenantId: null,
      tags: { channel: 'phone' },
      closedAt: null,
    });
    expect(session.turns.map((turn) => [turn.role, turn.offsetSeconds])).toEqual([
      ['user', 8],
      ['agent', 10],
    ]);
  });

  it('reads an agent session summary into the canonical model', () => {
    const session = parseVendorSession(agent);
    const created = Date.parse('2026-04-01T08:00:00Z') / 1000;
    expect(Session.safeParse(session).success).toBe(true);
    expect(session).toMatchObject({
      sessionId: '7d1c9e2a-0000-4000-8000-000000000001',
      source: 'agents',
      companionId: 'travel-bot',
      externalClientId: '99',
      tenantId: 'tenant-west',
      tags: { plan: 'free' },
      createdAt: created,
      closedAt: null,
      hasRecording: true,
      recordingUrl: null,
    });
    expect(session.turns.map((turn) => [turn.role, turn.timestamp, turn.offsetSeconds])).toEqual([
      ['user', created + 2, 2],
      ['agent', created + 4.25, 4.25],
    ]);
  });

  it('notes the recording and keeps neither the s3:// URI nor the presigned URL from a raw agent record', () => {
    const session = parseVendorSession(agent);
    expect(session).toMatchObject({ hasRecording: true, recordingUrl: null });
    expect(JSON.stringify(session)).not.toContain('s3://');
    expect(JSON.stringify(session)).not.toContain('X-Amz-Signature');
  });

  it('tells the shape by session_id even when the record also has an id', () => {
    expect(parseVendorSession({ ...agent, id: 123 }).source).toBe('agents');
  });

  it('rejects what is not an object', () => {
    for (const record of [null, undefined, 'text', 42, [napster]]) {
      expect(rejection(record).message).toBe('expected a session object');
    }
  });

  it('rejects an object of neither shape, describing both', () => {
    expect(rejection({ sessionId: 'x', turns: [] }).message).toMatch(/unknown shape.*Napster.*session_id/);
  });

  it('rejects an agent record without a transcript, naming the vendor and the field', () => {
    const { transcript: _omitted, ...record } = agent;
    expect(rejection(record).message).toMatch(/^agent session: transcript: /);
  });

  it('rejects an agent record with a bad date, naming created_at', () => {
    expect(rejection({ ...agent, created_at: '31/12/2025' }).message).toMatch(/^agent session: created_at: /);
  });

  it('rejects an agent record with a wrong type, naming the nested field', () => {
    const transcript = [{ role: 'user', text: 12 }];
    expect(rejection({ ...agent, transcript }).message).toMatch(/^agent session: transcript\.0\.text: /);
  });

  it('rejects a Napster summary without its conversation, naming conversation', () => {
    const { conversation: _omitted, ...record } = napster;
    expect(rejection(record).message).toMatch(/^Napster session: conversation: /);
  });

  it('rejects a Napster record with createdAt as text, naming createdAt', () => {
    expect(rejection({ ...napster, createdAt: '2025-10-09' }).message).toMatch(/^Napster session: createdAt: /);
  });

  it('lists several problems of one record, at most five', () => {
    const record = { id: 5, companionId: 1, externalClientId: 2, tags: 3, createdAt: 'x', startedAt: 'y', conversation: 'z' };
    const message = rejection(record).message;
    expect(message).toMatch(/^Napster session: /);
    expect(message.split('; ')).toHaveLength(5);
    expect(message).toContain('id: ');
  });
});
