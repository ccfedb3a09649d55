import { describe, expect, it } from 'vitest';
import { generateDemoSessions, type SyntheticNapsterSession } from '../../src/demo/synthetic.js';

const NOW = 1_767_225_600; // the default `now`: 2026-01-01T00:00:00Z
const DAY = 86_400;

const fullText = (s: SyntheticNapsterSession) => s.conversation.items.map((item) => item.text).join('\n');
const countMatching = (sessions: SyntheticNapsterSession[], test: (text: string) => boolean) =>
  sessions.filter((s) => test(fullText(s))).length;

describe('generateDemoSessions', () => {
  const sessions = generateDemoSessions(1000);

  it('is deterministic for the same count, seed and now', () => {
    expect(generateDemoSessions(1000)).toEqual(sessions);
    expect(generateDemoSessions(50, { seed: 7, now: 1_700_000_000 })).toEqual(generateDemoSessions(50, { seed: 7, now: 1_700_000_000 }));
    expect(generateDemoSessions(10, { seed: 1, now: NOW })).toEqual(generateDemoSessions(10));
  });

  it('gives different data for a different seed', () => {
    const other = generateDemoSessions(1000, { seed: 2 });
    expect(other).toHaveLength(1000);
    expect(other).not.toEqual(sessions);
    expect(other.map(fullText)).not.toEqual(sessions.map(fullText));
  });

  it('handles an empty request', () => {
    expect(generateDemoSessions(0)).toEqual([]);
  });

  it('has unique, ordered ids and sessions sorted by createdAt within the 90 days before now', () => {
    expect(sessions).toHaveLength(1000);
    const ids = sessions.map((s) => s.id);
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^sess_demo_\d{5}$/);
    expect([...ids].sort()).toEqual(ids);
    for (let i = 1; i < sessions.length; i++) expect(sessions[i]!.createdAt).toBeGreaterThanOrEqual(sessions[i - 1]!.createdAt);
    for (const s of sessions) {
      expect(Number.isInteger(s.createdAt)).toBe(true);
      expect(s.createdAt).toBeGreaterThanOrEqual(NOW - 90 * DAY);
      expect(s.createdAt).toBeLessThanOrEqual(NOW);
    }
  });

  it('produces well-formed sessions', () => {
    for (const s of sessions) {
      expect(s.companionId).toMatch(/^comp_/);
      expect(s.externalClientId).toMatch(/^client_\d{4}$/);
      expect(Array.isArray(s.functions)).toBe(true);
      expect(Array.isArray(s.faqIds)).toBe(true);
      expect(s.knowledgeBaseId === null || typeof s.knowledgeBaseId === 'string').toBe(true);
      expect(['production', 'staging']).toContain(s.tags.environment);
      expect(['web', 'ios', 'android', 'phone']).toContain(s.tags.channel);
      expect(['free', 'pro']).toContain(s.tags.plan);

      expect(s.startedAt - s.createdAt).toBeGreaterThanOrEqual(0);
      expect(s.startedAt - s.createdAt).toBeLessThanOrEqual(10);

      const items = s.conversation.items;
      expect(items.length === 0 || (items.length >= 2 && items.length <= 24)).toBe(true);
      let previous = s.startedAt;
      items.forEach((item, k) => {
        expect(['user', 'agent']).toContain(item.role);
        expect(item.text.length).toBeGreaterThan(0);
        expect(item.timestamp).toBeGreaterThan(previous);
        previous = item.timestamp;
        if (k > 0) expect(item.role).not.toBe(items[k - 1]!.role);
      });

      if (s.closedAt !== null) {
        expect(s.closedAt).toBeGreaterThanOrEqual(previous);
        expect(s.closedAt).toBeLessThanOrEqual(NOW);
      } else {
        expect(previous).toBeLessThanOrEqual(NOW);
      }
    }
  });

  it('has realistic proportions', () => {
    const inProgress = sessions.filter((s) => s.closedAt === null).length;
    expect(inProgress).toBeGreaterThanOrEqual(5); // ~2%
    expect(inProgress).toBeLessThanOrEqual(45);
    const empty = sessions.filter((s) => s.conversation.items.length === 0).length;
    expect(empty).toBeGreaterThanOrEqual(1); // ~1%
    expect(empty).toBeLessThanOrEqual(30);
    const agentFirst = sessions.filter((s) => s.conversation.items[0]?.role === 'agent').length;
    expect(agentFirst).toBeGreaterThan(0);
    expect(agentFirst).toBeLessThan(500); // mostly the user speaks first

    const companions = new Set(sessions.map((s) => s.companionId));
    expect(companions.size).toBeGreaterThanOrEqual(5);
    expect(companions.size).toBeLessThanOrEqual(8);
    const clients = new Set(sessions.map((s) => s.externalClientId));
    expect(clients.size).toBeGreaterThan(50);
    expect(clients.size).toBeLessThanOrEqual(150);
  });

  it('contains the phrases the demo searches for, repeated across sessions', () => {
    expect(countMatching(sessions, (t) => /refund/i.test(t))).toBeGreaterThan(50);
    expect(countMatching(sessions, (t) => t.includes('book a table'))).toBeGreaterThan(10);
    expect(countMatching(sessions, (t) => /password/i.test(t))).toBeGreaterThan(20);
    expect(countMatching(sessions, (t) => t.includes('flight to Paris'))).toBeGreaterThan(5);
    // Markup and non-ASCII the product has to escape and tokenize correctly.
    expect(countMatching(sessions, (t) => t.includes('<b>'))).toBeGreaterThan(0);
    for (const word of ['café', 'Zürich', 'naïve']) expect(countMatching(sessions, (t) => t.includes(word))).toBeGreaterThan(0);
  });

  it('only puts markup in user turns', () => {
    for (const s of sessions) {
      for (const item of s.conversation.items) if (/<[a-z]+>/i.test(item.text)) expect(item.role).toBe('user');
    }
  });

  it('honours the now option', () => {
    const now = 1_700_000_000;
    const shifted = generateDemoSessions(200, { now });
    for (const s of shifted) {
      expect(s.createdAt).toBeGreaterThanOrEqual(now - 90 * DAY);
      expect(s.closedAt ?? s.conversation.items.at(-1)?.timestamp ?? s.startedAt).toBeLessThanOrEqual(now);
    }
  });
});
