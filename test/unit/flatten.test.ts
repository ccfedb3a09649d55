import { describe, expect, it } from 'vitest';
import { documentKey, exactKey, idOfKey, tagObject, tagStrings, turnDocumentId } from '../../src/engine/documents.js';
import { flattenSession, sessionDuration } from '../../src/ingest/flatten.js';
import { SessionTooLargeError } from '../../src/ingest/limits.js';
import { InvalidRecordError } from '../../src/sources/source.js';
import { emptyUsage, type Session, type Turn } from '../../src/model.js';

const ENGINE_ID = /^[A-Za-z0-9_-]{1,511}$/;

function session(overrides: Partial<Session> = {}): Session {
  return {
    sessionId: 'sess_1',
    source: 'napster',
    companionId: 'comp_a',
    externalClientId: 'client_1',
    tenantId: 'tenant_x',
    tags: { channel: 'web', plan: 'pro' },
    createdAt: 1_700_000_000,
    startedAt: 1_700_000_005,
    closedAt: 1_700_000_065,
    durationSeconds: null,
    functions: ['fn_a'],
    knowledgeBaseId: 'kb_a',
    faqIds: ['faq_1', 'faq_2'],
    usage: emptyUsage,
    hasRecording: false,
    recordingUrl: null,
    turns: [
      { turnIndex: 0, role: 'agent', text: 'Hello, how can I help?', timestamp: 1_700_000_006, offsetSeconds: 1 },
      { turnIndex: 1, role: 'user', text: 'I need a refund', timestamp: 1_700_000_010, offsetSeconds: 5 },
      { turnIndex: 2, role: 'agent', text: 'Sure.', timestamp: 1_700_000_012, offsetSeconds: 7 },
    ],
    ...overrides,
  };
}

describe('documentKey', () => {
  it('keeps ids made of letters, digits, _ and - as they are', () => {
    expect(documentKey('sess_c5b5a5196737a805')).toBe('sess_c5b5a5196737a805');
    expect(documentKey('A-z_0-9')).toBe('A-z_0-9');
  });

  it('hashes ids with other characters into an engine-safe h_ key', () => {
    for (const id of ['cb7efb67-8e15-448c.848e', 'has space', 'ümlaut', 'a/b', 'x"y', "o'brien", '💬']) {
      const key = documentKey(id);
      expect(key).toMatch(/^h_[A-Za-z0-9_-]{43}$/);
      expect(key).toMatch(ENGINE_ID);
    }
  });

  it('is deterministic, so re-ingesting a session replaces its documents', () => {
    expect(documentKey('a.b')).toBe(documentKey('a.b'));
    expect(documentKey('plain')).toBe(documentKey('plain'));
  });

  it('gives different unsafe ids different keys', () => {
    const keys = ['a.b', 'a,b', 'a b', 'a.b ', 'A.b'].map(documentKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keeps a 400-character safe id and hashes a 401-character one', () => {
    expect(documentKey('a'.repeat(400))).toBe('a'.repeat(400));
    expect(documentKey('a'.repeat(401))).toMatch(/^h_/);
    expect(documentKey('a'.repeat(512))).toMatch(ENGINE_ID);
  });
});

describe('turnDocumentId', () => {
  it('is the session key, an underscore and the turn index', () => {
    expect(turnDocumentId('sess_1', 0)).toBe('sess_1_0');
    expect(turnDocumentId('a.b', 12)).toBe(`${documentKey('a.b')}_12`);
  });

  it('never collides across sessions whose ids end in _<digits>', () => {
    const ids = [turnDocumentId('a', 10), turnDocumentId('a_1', 0), turnDocumentId('a_10', 0), turnDocumentId('a', 1)];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays a valid engine id for the longest safe session id', () => {
    expect(turnDocumentId('a'.repeat(400), 99_999)).toMatch(ENGINE_ID);
  });
});

describe('tagStrings and tagObject', () => {
  it('turns tags into key:value strings', () => {
    expect(tagStrings({ channel: 'web', plan: 'pro' })).toEqual(['channel:web', 'plan:pro']);
    expect(tagStrings({})).toEqual([]);
  });

  it('keeps colons in values and reads them back at the first colon', () => {
    expect(tagStrings({ url: 'https://x.test:8080/' })).toEqual(['url:https://x.test:8080/']);
    expect(tagObject(['url:https://x.test:8080/'])).toEqual({ url: 'https://x.test:8080/' });
  });

  it('round-trips tags whose keys have no colon', () => {
    const tags = { channel: 'web', empty: '', 'with space': 'a b' };
    expect(tagObject(tagStrings(tags))).toEqual(tags);
  });

  it('reads a string without a colon as a key with an empty value', () => {
    expect(tagObject(['bare'])).toEqual({ bare: '' });
  });
});

describe('sessionDuration', () => {
  it('prefers the vendor duration', () => {
    expect(sessionDuration(session({ durationSeconds: 42 }))).toBe(42);
  });

  it('is closedAt minus startedAt when the vendor gives none', () => {
    expect(sessionDuration(session())).toBe(60);
  });

  it('measures from createdAt when there is no startedAt', () => {
    expect(sessionDuration(session({ startedAt: null }))).toBe(65);
  });

  it('is never negative when closedAt is before the start', () => {
    expect(sessionDuration(session({ closedAt: 1_700_000_000 }))).toBe(0);
  });

  it('is unknown while the session is in progress', () => {
    expect(sessionDuration(session({ closedAt: null }))).toBeNull();
  });
});

describe('flattenSession', () => {
  it('makes one session document and one document per turn', () => {
    const { session: doc, turns } = flattenSession(session());
    expect(doc.id).toBe('sess_1');
    expect(doc.sessionId).toBe('sess_1');
    expect(turns.map((turn) => turn.id)).toEqual(['sess_1_0', 'sess_1_1', 'sess_1_2']);
    expect(turns.map((turn) => turn.turnIndex)).toEqual([0, 1, 2]);
  });

  it('is deterministic: the same session gives equal documents', () => {
    expect(flattenSession(session())).toEqual(flattenSession(session()));
  });

  it('uses hashed ids for both documents when the session id is not engine-safe', () => {
    const { session: doc, turns } = flattenSession(session({ sessionId: 'cb7efb67.8e15' }));
    const key = documentKey('cb7efb67.8e15');
    expect(doc.id).toBe(key);
    expect(doc.sessionId).toBe('cb7efb67.8e15');
    expect(turns.map((turn) => turn.id)).toEqual([`${key}_0`, `${key}_1`, `${key}_2`]);
    for (const turn of turns) expect(turn.sessionId).toBe('cb7efb67.8e15');
  });

  it('copies the session-level fields onto every turn document', () => {
    const usage = { ...emptyUsage, llmInputTokens: 100, llmOutputTokens: 20, costUsd: 0.5 };
    const { turns } = flattenSession(session({ usage, source: 'agents' }));
    for (const turn of turns) {
      expect(turn).toMatchObject({
        sessionId: 'sess_1',
        source: 'agents',
        companionId: 'comp_a',
        externalClientId: 'client_1',
        tenantId: 'tenant_x',
        tags: ['channel:web', 'plan:pro'],
        sessionStartedAt: 1_700_000_005,
        sessionDurationSeconds: 60,
        sessionTurnCount: 3,
        sessionTokens: 120,
        sessionCostUsd: 0.5,
      });
    }
  });

  it('keeps each turn’s role, text, timestamp and offset', () => {
    const { turns } = flattenSession(session());
    expect(turns[1]).toMatchObject({ role: 'user', text: 'I need a refund', timestamp: 1_700_000_010, offsetSeconds: 5 });
    expect(turns[0]).toMatchObject({ role: 'agent', timestamp: 1_700_000_006, offsetSeconds: 1 });
  });

  it('keeps unknown turn times as null', () => {
    const turns: Turn[] = [{ turnIndex: 0, role: 'user', text: 'hi', timestamp: null, offsetSeconds: null }];
    const { turns: docs } = flattenSession(session({ turns }));
    expect(docs[0]).toMatchObject({ timestamp: null, offsetSeconds: null });
  });

  it('stores tags as key:value strings on both documents', () => {
    const { session: doc, turns } = flattenSession(session({ tags: { environment: 'production' } }));
    expect(doc.tags).toEqual(['environment:production']);
    expect(turns[0]!.tags).toEqual(['environment:production']);
  });

  it('counts user and agent turns', () => {
    const { session: doc } = flattenSession(session());
    expect(doc).toMatchObject({ turnCount: 3, userTurnCount: 1, agentTurnCount: 2 });
  });

  it('marks a session without closedAt as in progress, with unknown duration', () => {
    const { session: doc, turns } = flattenSession(session({ closedAt: null }));
    expect(doc.inProgress).toBe(true);
    expect(doc.closedAt).toBeNull();
    expect(doc.durationSeconds).toBeNull();
    expect(turns[0]!.sessionDurationSeconds).toBeNull();
  });

  it('marks a closed session as not in progress', () => {
    expect(flattenSession(session()).session.inProgress).toBe(false);
  });

  it('falls back to createdAt as the start when startedAt is unknown', () => {
    const { session: doc, turns } = flattenSession(session({ startedAt: null }));
    expect(doc.startedAt).toBe(1_700_000_000);
    expect(doc.createdAt).toBe(1_700_000_000);
    expect(turns[0]!.sessionStartedAt).toBe(1_700_000_000);
  });

  it('sums tokens from input and output, and leaves them null when both are unknown', () => {
    expect(flattenSession(session()).session.tokens).toBeNull();
    expect(flattenSession(session({ usage: { ...emptyUsage, llmOutputTokens: 7 } })).session.tokens).toBe(7);
    expect(flattenSession(session({ usage: { ...emptyUsage, llmInputTokens: 3, llmOutputTokens: 7 } })).session.tokens).toBe(10);
  });

  it('copies usage figures and the recording URL onto the session document', () => {
    const usage = {
      llmInputTokens: 1139,
      llmOutputTokens: 34,
      sttAudioSeconds: 14,
      ttsCharacters: 133,
      costUsd: 0.003586,
      interruptionCount: 2,
    };
    const { session: doc } = flattenSession(session({ usage, durationSeconds: 34, hasRecording: true, recordingUrl: 'https://r.test/x.ogg' }));
    expect(doc).toMatchObject({ ...usage, tokens: 1173, durationSeconds: 34, hasRecording: true, recordingUrl: 'https://r.test/x.ogg' });
  });

  it('previews the first user turn, not the agent greeting', () => {
    expect(flattenSession(session()).session.preview).toBe('I need a refund');
  });

  it('previews the first turn when no user spoke', () => {
    const turns: Turn[] = [{ turnIndex: 0, role: 'agent', text: 'Anyone there?', timestamp: null, offsetSeconds: null }];
    expect(flattenSession(session({ turns })).session.preview).toBe('Anyone there?');
  });

  it('handles a session without turns', () => {
    const { session: doc, turns } = flattenSession(session({ turns: [] }));
    expect(turns).toEqual([]);
    expect(doc).toMatchObject({ turnCount: 0, userTurnCount: 0, agentTurnCount: 0, preview: '' });
  });

  it('keeps long turn text whole but cuts the preview to 240 characters', () => {
    const long = 'word '.repeat(13_000);
    const turns: Turn[] = [{ turnIndex: 0, role: 'user', text: long, timestamp: null, offsetSeconds: null }];
    const { session: doc, turns: docs } = flattenSession(session({ turns }));
    expect(docs[0]!.text).toBe(long);
    expect(doc.preview).toBe(long.slice(0, 240));
  });

  it('never cuts the preview inside a surrogate pair', () => {
    const text = `${'a'.repeat(239)}😀 and more`;
    const turns: Turn[] = [{ turnIndex: 0, role: 'user', text, timestamp: null, offsetSeconds: null }];
    const { preview } = flattenSession(session({ turns })).session;
    expect(preview).toBe('a'.repeat(239));
    expect(preview).not.toMatch(/[\uD800-\uDBFF]$/);
    const fits = `${'a'.repeat(238)}😀 and more`;
    const fitting = flattenSession(session({ turns: [{ ...turns[0]!, text: fits }] })).session.preview;
    expect(fitting).toBe(`${'a'.repeat(238)}😀`);
  });

  it('flattens a very long session into one document per turn with unique ids', () => {
    const turns: Turn[] = Array.from({ length: 5000 }, (_, turnIndex) => ({
      turnIndex,
      role: turnIndex % 2 === 0 ? 'user' : 'agent',
      text: `turn ${turnIndex}`,
      timestamp: 1_700_000_005 + turnIndex,
      offsetSeconds: turnIndex,
    }));
    const { session: doc, turns: docs } = flattenSession(session({ turns }));
    expect(docs).toHaveLength(5000);
    expect(new Set(docs.map((turn) => turn.id)).size).toBe(5000);
    expect(docs.at(-1)).toMatchObject({ id: 'sess_1_4999', turnIndex: 4999, sessionTurnCount: 5000 });
    expect(doc).toMatchObject({ turnCount: 5000, userTurnCount: 2500, agentTurnCount: 2500 });
  });
});

describe('strings that are not valid Unicode', () => {
  const base = {
    sessionId: 's1', source: 'napster' as const, companionId: 'c\uD83D', externalClientId: null, tenantId: null, tags: { k: 'v\uDE00' },
    createdAt: 1, startedAt: 1, closedAt: 2, durationSeconds: null, recordingUrl: null, hasRecording: false,
    functions: [], knowledgeBaseId: null, faqIds: [],
    usage: { llmInputTokens: null, llmOutputTokens: null, sttAudioSeconds: null, ttsCharacters: null, costUsd: null, interruptionCount: null },
    turns: [{ turnIndex: 0, role: 'user' as const, text: 'half an emoji \uD83D here', timestamp: 1, offsetSeconds: 0 }],
  };

  it('replaces lone surrogate halves with U+FFFD, because one would make the engine refuse the whole batch', () => {
    const flat = flattenSession(base);
    expect(flat.turns[0]!.text).toBe('half an emoji \uFFFD here');
    expect(flat.session.companionId).toBe('c\uFFFD');
    expect(flat.session.tags).toEqual(['k:v\uFFFD']);
    expect(JSON.stringify(flat)).not.toMatch(/\\ud[89a-f]/i);
  });

  it('rejects a session whose id is not valid Unicode instead of silently changing the id', () => {
    expect(() => flattenSession({ ...base, sessionId: 'id\uD83D' })).toThrow(/lone surrogate/);
  });
});

describe('exact keys', () => {
  it('encode every id so that no case, width or space folding can make two ids one, and decode back', () => {
    const ids = ['user_01117', 'USER_01117', 'User_01117', ' user_01117', 'user_01117 ', 'ｕser_01117', 'user_01117\u200b', 'é', 'e\u0301', '🙂'];
    const keys = ids.map(exactKey);
    expect(new Set(keys).size).toBe(ids.length);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]+$/);
    expect(keys.map(idOfKey)).toEqual(ids);
  });

  it('are carried by both documents for every id a filter, facet or scope is built on', () => {
    const { session: doc, turns } = flattenSession(session());
    const keys = {
      sessionKey: exactKey('sess_1'),
      companionKey: exactKey('comp_a'),
      clientKey: exactKey('client_1'),
      tenantKey: exactKey('tenant_x'),
      knowledgeBaseKey: exactKey('kb_a'),
      functionKeys: [exactKey('fn_a')],
      faqKeys: [exactKey('faq_1'), exactKey('faq_2')],
    };
    expect(doc).toMatchObject(keys);
    for (const turn of turns) expect(turn).toMatchObject(keys);
    expect(flattenSession(session({ companionId: null, tenantId: null })).session).toMatchObject({ companionKey: null, tenantKey: null });
  });
});

describe('what one session may carry', () => {
  const turn = (text: string, turnIndex = 0): Turn => ({ turnIndex, role: 'user', text, timestamp: null, offsetSeconds: null });

  it('refuses, naming the limit, what would multiply at the engine: many or long tags on many turns, long ids, long texts', () => {
    const tags = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(1_000)]));
    const many = Array.from({ length: 1_000 }, (_, i) => turn('hi', i));
    expect(() => flattenSession(session({ tags, turns: many }))).toThrow(/session exceeds a limit: 100 tags, at most 64 are allowed/);
    expect(() => flattenSession(session({ tags: { big: 'v'.repeat(600) } }))).toThrow(/a tag of 604 bytes, at most 512/);
    expect(() => flattenSession(session({ externalClientId: 'x'.repeat(201) }))).toThrow(/externalClientId is 201 bytes, at most 200/);
    expect(() => flattenSession(session({ turns: [turn('a'.repeat(65_537))] }))).toThrow(/turn 0 has 65537 bytes of text, at most 65536/);
    const wide = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'v'.repeat(500)]));
    expect(() => flattenSession(session({ tags: wide, turns: many }))).toThrow(/copied onto each of its 1000 turns make \d+ bytes, at most 16777216/);
  });

  it('refuses the same sessions with an error the sync and import report as skipped', () => {
    expect(() => flattenSession(session({ functions: Array.from({ length: 129 }, (_, i) => `fn_${i}`) }))).toThrow(SessionTooLargeError);
    expect(() => flattenSession(session({ functions: Array.from({ length: 129 }, (_, i) => `fn_${i}`) }))).toThrow(InvalidRecordError);
  });
});

