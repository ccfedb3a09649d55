import { describe, expect, it } from 'vitest';
import { NapsterSessionDetail, NapsterSessionPage, NapsterSessionSummary } from '../../src/sources/napster/schema.js';
import { describeZodError } from '../../src/sources/source.js';

const detail = {
  id: 'sess_test_1',
  companionId: 'comp_pizza',
  functions: ['fn_order'],
  knowledgeBaseId: null,
  faqIds: [],
  externalClientId: 'client_7',
  tags: { environment: 'staging', channel: 'web' },
  createdAt: 1_750_000_000,
  startedAt: 1_750_000_004,
  closedAt: 1_750_000_100,
  conversation: {
    items: [
      { role: 'user', text: 'Two large pizzas, please.', timestamp: 1_750_000_010 },
      { role: 'agent', text: 'Anything to drink?', timestamp: 1_750_000_015 },
    ],
  },
};

function problem(record: unknown): string {
  const parsed = NapsterSessionDetail.safeParse(record);
  if (parsed.success) throw new Error('expected the record to be rejected');
  return describeZodError(parsed.error);
}

describe('NapsterSessionDetail', () => {
  it('accepts a complete session detail', () => {
    expect(NapsterSessionDetail.parse(detail)).toMatchObject({ id: 'sess_test_1', companionId: 'comp_pizza' });
  });

  it('accepts a minimal detail: id, createdAt and an empty conversation', () => {
    expect(NapsterSessionDetail.safeParse({ id: 'x', createdAt: 0, conversation: { items: [] } }).success).toBe(true);
  });

  it('accepts null for optional fields, including closedAt of a session in progress', () => {
    const inProgress = { ...detail, companionId: null, externalClientId: null, tags: null, startedAt: null, closedAt: null };
    expect(NapsterSessionDetail.safeParse(inProgress).success).toBe(true);
  });

  it('accepts number and boolean tag values', () => {
    expect(NapsterSessionDetail.safeParse({ ...detail, tags: { retries: 3, vip: true } }).success).toBe(true);
  });

  it('accepts conversation items without a timestamp', () => {
    const items = [{ role: 'user', text: 'hi' }, { role: 'agent', text: 'hello', timestamp: null }];
    expect(NapsterSessionDetail.safeParse({ ...detail, conversation: { items } }).success).toBe(true);
  });

  it('keeps fields it does not know about out of the way instead of failing', () => {
    expect(NapsterSessionDetail.safeParse({ ...detail, sentiment: 'positive' }).success).toBe(true);
  });

  it('rejects a detail without a conversation, naming it', () => {
    const { conversation: _omitted, ...summary } = detail;
    expect(problem(summary)).toMatch(/^conversation: /);
  });

  it('rejects a non-string id, an empty id and an over-long id, naming id', () => {
    expect(problem({ ...detail, id: 42 })).toMatch(/^id: /);
    expect(problem({ ...detail, id: '' })).toMatch(/^id: /);
    expect(problem({ ...detail, id: 'x'.repeat(513) })).toMatch(/^id: /);
  });

  it('rejects createdAt given as a date string, naming createdAt', () => {
    expect(problem({ ...detail, createdAt: '2025-06-15T00:00:00Z' })).toMatch(/^createdAt: .*number/);
  });

  it('rejects negative or missing createdAt', () => {
    expect(problem({ ...detail, createdAt: -1 })).toMatch(/^createdAt: /);
    const { createdAt: _omitted, ...noCreatedAt } = detail;
    expect(problem(noCreatedAt)).toMatch(/^createdAt: /);
  });

  it('rejects a closedAt string, naming closedAt', () => {
    expect(problem({ ...detail, closedAt: 'yesterday' })).toMatch(/^closedAt: /);
  });

  it('rejects an unknown role, naming the item', () => {
    const items = [{ role: 'system', text: 'x', timestamp: 1 }];
    expect(problem({ ...detail, conversation: { items } })).toMatch(/^conversation\.items\.0\.role: /);
  });

  it('rejects non-string text, naming the item', () => {
    const items = [detail.conversation.items[0], { role: 'agent', text: null, timestamp: 1 }];
    expect(problem({ ...detail, conversation: { items } })).toMatch(/^conversation\.items\.1\.text: /);
  });

  it('rejects nested tag values', () => {
    expect(problem({ ...detail, tags: { nested: { a: 1 } } })).toMatch(/^tags\.nested: /);
  });

  it('rejects wrong types of the list fields', () => {
    expect(problem({ ...detail, functions: 'fn_order' })).toMatch(/^functions: /);
    expect(problem({ ...detail, externalClientId: 7 })).toMatch(/^externalClientId: /);
  });
});

describe('NapsterSessionSummary', () => {
  it('accepts a listing entry without a conversation', () => {
    const { conversation: _omitted, ...summary } = detail;
    expect(NapsterSessionSummary.safeParse(summary).success).toBe(true);
  });
});

describe('NapsterSessionPage', () => {
  it('accepts a page whatever its items hold, so each item is checked on its own', () => {
    const page = { items: [detail, { broken: true }], filteredCount: 2, totalCount: 2, pageIndex: 0, pageSize: 50 };
    expect(NapsterSessionPage.parse(page).items).toHaveLength(2);
  });

  it('rejects a page without items', () => {
    expect(NapsterSessionPage.safeParse({ totalCount: 0 }).success).toBe(false);
  });
});
