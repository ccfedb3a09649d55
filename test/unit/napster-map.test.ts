import { describe, expect, it } from 'vitest';
import { Session } from '../../src/model.js';
import { mapNapsterSession } from '../../src/sources/napster/map.js';
import { NapsterSessionDetail } from '../../src/sources/napster/schema.js';

const detail = NapsterSessionDetail.parse({
  id: 'sess_test_1',
  companionId: 'comp_pizza',
  functions: ['fn_order'],
  knowledgeBaseId: 'kb_menu',
  faqIds: [],
  externalClientId: 'client_7',
  tags: { environment: 'staging', retries: 3, vip: true },
  createdAt: 1_750_000_000,
  startedAt: 1_750_000_004,
  closedAt: 1_750_000_100,
  conversation: {
    items: [
      { role: 'user', text: 'Two large pizzas, please.', timestamp: 1_750_000_010 },
      { role: 'agent', text: 'Anything to drink?', timestamp: 1_750_000_015 },
      { role: 'user', text: 'No thanks.' },
    ],
  },
});

describe('mapNapsterSession', () => {
  it('maps the ids of CONTRACT §5: id, companionId, externalClientId; no tenant', () => {
    expect(mapNapsterSession(detail)).toMatchObject({
      sessionId: 'sess_test_1',
      source: 'napster',
      companionId: 'comp_pizza',
      externalClientId: 'client_7',
      tenantId: null,
    });
  });

  it('produces a session the canonical model accepts', () => {
    expect(Session.safeParse(mapNapsterSession(detail)).success).toBe(true);
  });

  it('turns every tag value into a string', () => {
    expect(mapNapsterSession(detail).tags).toEqual({ environment: 'staging', retries: '3', vip: 'true' });
  });

  it('maps missing tags to an empty object', () => {
    expect(mapNapsterSession({ ...detail, tags: null }).tags).toEqual({});
    expect(mapNapsterSession({ ...detail, tags: undefined }).tags).toEqual({});
  });

  it('keeps the session times', () => {
    expect(mapNapsterSession(detail)).toMatchObject({ createdAt: 1_750_000_000, startedAt: 1_750_000_004, closedAt: 1_750_000_100 });
  });

  it('maps a null closedAt to null: the session is in progress', () => {
    expect(mapNapsterSession({ ...detail, closedAt: null }).closedAt).toBeNull();
  });

  it('numbers turns in conversation order and keeps roles and text', () => {
    const turns = mapNapsterSession(detail).turns;
    expect(turns.map((turn) => [turn.turnIndex, turn.role, turn.text])).toEqual([
      [0, 'user', 'Two large pizzas, please.'],
      [1, 'agent', 'Anything to drink?'],
      [2, 'user', 'No thanks.'],
    ]);
  });

  it('keeps the turn timestamp and sets the offset to timestamp − startedAt', () => {
    const [first, second] = mapNapsterSession(detail).turns;
    expect(first).toMatchObject({ timestamp: 1_750_000_010, offsetSeconds: 6 });
    expect(second).toMatchObject({ timestamp: 1_750_000_015, offsetSeconds: 11 });
  });

  it('measures offsets from createdAt when startedAt is missing', () => {
    const turns = mapNapsterSession({ ...detail, startedAt: null }).turns;
    expect(turns[0]!.offsetSeconds).toBe(10);
  });

  it('leaves timestamp and offset null for an item without a timestamp', () => {
    expect(mapNapsterSession(detail).turns[2]).toMatchObject({ timestamp: null, offsetSeconds: null });
  });

  it('maps missing companion and client to null', () => {
    const mapped = mapNapsterSession({ ...detail, companionId: null, externalClientId: undefined });
    expect(mapped.companionId).toBeNull();
    expect(mapped.externalClientId).toBeNull();
  });

  it('has no usage figures, duration or recording: Napster sends none', () => {
    const mapped = mapNapsterSession(detail);
    expect(mapped.durationSeconds).toBeNull();
    expect(mapped.recordingUrl).toBeNull();
    expect(Object.values(mapped.usage).every((value) => value === null)).toBe(true);
  });

  it('maps an empty conversation to no turns', () => {
    expect(mapNapsterSession({ ...detail, conversation: { items: [] } }).turns).toEqual([]);
  });
});
