import { describe, expect, it } from 'vitest';
import type { TurnDocument } from '../../src/engine/documents.js';
import { flattenSession } from '../../src/ingest/flatten.js';
import { emptyUsage, type Session } from '../../src/model.js';
import { isoTime, presentSession, presentTurn } from '../../src/search/present.js';

const session: Session = {
  sessionId: 'sess_present',
  source: 'agents',
  companionId: 'comp_a',
  externalClientId: 'client_1',
  tenantId: 'tenant-x',
  tags: { plan: 'pro', url: 'https://x.test:8080' },
  createdAt: 1_767_225_600,
  startedAt: 1_767_225_600,
  closedAt: 1_767_225_660.5,
  durationSeconds: null,
  functions: [],
  knowledgeBaseId: null,
  faqIds: [],
  usage: { ...emptyUsage, llmInputTokens: 10, llmOutputTokens: 5, costUsd: 0.25 },
  hasRecording: true,
  recordingUrl: 'https://rec.example.test/x.ogg',
  turns: [
    { turnIndex: 0, role: 'user', text: 'Hello <there>', timestamp: 1_767_225_603.25, offsetSeconds: 3.25 },
    { turnIndex: 1, role: 'agent', text: 'Hi', timestamp: null, offsetSeconds: null },
  ],
};

const { session: sessionDoc, turns: turnDocs } = flattenSession(session);

describe('isoTime', () => {
  it('formats Unix seconds as ISO-8601 UTC', () => {
    expect(isoTime(1_767_225_600)).toBe('2026-01-01T00:00:00.000Z');
  });

  it('keeps milliseconds and rounds below them', () => {
    expect(isoTime(1_767_225_600.25)).toBe('2026-01-01T00:00:00.250Z');
    expect(isoTime(1_767_225_600.0004)).toBe('2026-01-01T00:00:00.000Z');
  });

  it('maps unknown times to null', () => {
    expect(isoTime(null)).toBeNull();
    expect(isoTime(undefined)).toBeNull();
  });

  it('formats the epoch rather than treating 0 as unknown', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('presentTurn', () => {
  it('shows the turn with ISO time and tags as an object', () => {
    expect(presentTurn(turnDocs[0]!)).toEqual({
      sessionId: 'sess_present',
      turnIndex: 0,
      role: 'user',
      text: 'Hello <there>',
      timestamp: '2026-01-01T00:00:03.250Z',
      offsetSeconds: 3.25,
      companionId: 'comp_a',
      externalClientId: 'client_1',
      tenantId: 'tenant-x',
      tags: { plan: 'pro', url: 'https://x.test:8080' },
    });
  });

  it('keeps unknown turn times null', () => {
    expect(presentTurn(turnDocs[1]!)).toMatchObject({ timestamp: null, offsetSeconds: null });
  });

  it('leaves out engine-only fields', () => {
    const view = presentTurn(turnDocs[0]!);
    for (const field of ['id', 'source', 'sessionStartedAt', 'sessionTurnCount', 'sessionTokens', 'sessionCostUsd']) {
      expect(view).not.toHaveProperty(field);
    }
  });

  it('shows a stored document that lacks the tags field as having no tags', () => {
    const { tags: _omitted, ...untagged } = turnDocs[0]!;
    expect(presentTurn(untagged as unknown as TurnDocument).tags).toEqual({});
  });
});

describe('presentSession', () => {
  it('shows the session with ISO times, tags as an object and usage', () => {
    expect(presentSession(sessionDoc)).toEqual({
      sessionId: 'sess_present',
      source: 'agents',
      companionId: 'comp_a',
      externalClientId: 'client_1',
      tenantId: 'tenant-x',
      tags: { plan: 'pro', url: 'https://x.test:8080' },
      functions: [],
      knowledgeBaseId: null,
      faqIds: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:00.000Z',
      closedAt: '2026-01-01T00:01:00.500Z',
      inProgress: false,
      durationSeconds: 60.5,
      turnCount: 2,
      userTurnCount: 1,
      agentTurnCount: 1,
      llmInputTokens: 10,
      llmOutputTokens: 5,
      tokens: 15,
      sttAudioSeconds: null,
      ttsCharacters: null,
      costUsd: 0.25,
      interruptionCount: null,
      hasRecording: true,
      recordingUrl: 'https://rec.example.test/x.ogg',
    });
  });

  it('never shows a recording URL that is not http(s), even one indexed by an older version', () => {
    for (const stored of ['s3://rec/x.ogg', 'javascript:alert(1)', 'data:text/html,x', ' JAVASCRIPT:alert(1)']) {
      expect(presentSession({ ...sessionDoc, recordingUrl: stored }).recordingUrl, stored).toBeNull();
    }
  });

  it('shows a session in progress with a null closedAt', () => {
    const open = flattenSession({ ...session, closedAt: null }).session;
    expect(presentSession(open)).toMatchObject({ inProgress: true, closedAt: null, durationSeconds: null });
  });

  it('leaves out the engine id and the preview', () => {
    const view = presentSession(sessionDoc);
    expect(view).not.toHaveProperty('id');
    expect(view).not.toHaveProperty('preview');
  });
});
