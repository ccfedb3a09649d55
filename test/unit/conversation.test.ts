import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import { orderedChain } from '../../src/search/conversation.js';
import { MAX_CONDITIONS, MAX_QUERY_CHARS, parseCondition, parseExportRequest, parseSearchRequest } from '../../src/search/params.js';

function badRequest(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as Error).message;
  }
  throw new Error('expected a BadRequestError');
}

const sessions = (query: Record<string, string[]>) => parseSearchRequest(query, 'sessions');

describe('said and notSaid conditions (ROLE:TEXT)', () => {
  it('reads the role and the text, as q would read it', () => {
    expect(parseCondition('said', 'user:"book a table"')).toEqual({ role: 'user', text: '"book a table"' });
    expect(parseCondition('said', 'agent: reference number ')).toEqual({ role: 'agent', text: 'reference number' });
    expect(parseCondition('notSaid', 'any:refund: now')).toEqual({ role: 'any', text: 'refund: now' });
    // Roles as the vendors write them, and in any case.
    expect(parseCondition('said', 'assistant:hello')).toEqual({ role: 'agent', text: 'hello' });
    expect(parseCondition('said', 'User:hello')).toEqual({ role: 'user', text: 'hello' });
    expect(parseCondition('said', `any:${'x'.repeat(MAX_QUERY_CHARS)}`).text).toHaveLength(MAX_QUERY_CHARS);
  });

  it('refuses a missing or unknown role, text without a word, and text too long, naming the parameter', () => {
    expect(badRequest(() => parseCondition('said', 'hello'))).toBe("Invalid 'said': expected ROLE:TEXT with ROLE user, agent or any, got 'hello'");
    expect(badRequest(() => parseCondition('notSaid', 'bot:hello'))).toMatch(/^Invalid 'notSaid': expected ROLE:TEXT/);
    expect(badRequest(() => parseCondition('said', ':hello'))).toMatch(/^Invalid 'said'/);
    for (const empty of ['user:', 'user:   ', 'agent:""', 'any:?!']) expect(badRequest(() => parseCondition('said', empty))).toMatch(/^Invalid 'said': '\w+:' needs a word/);
    expect(badRequest(() => parseCondition('said', `user:${'x'.repeat(MAX_QUERY_CHARS + 1)}`))).toMatch(/^Parameter 'said' is longer than 512/);
    expect(badRequest(() => parseCondition('said', 'user:a\u0000b'))).toMatch(/^Parameter 'said' contains control characters/);
  });

  it('keeps every said where it was given, repeats included: a position is what a match and an order refer to', () => {
    const request = sessions({ said: ['user:yes', 'agent:ok', 'user:yes'], notSaid: ['agent:sorry', 'agent:sorry'] });
    expect(request.conversation).toEqual({
      said: [{ role: 'user', text: 'yes' }, { role: 'agent', text: 'ok' }, { role: 'user', text: 'yes' }],
      notSaid: [{ role: 'agent', text: 'sorry' }, { role: 'agent', text: 'sorry' }],
      ordered: false,
      within: undefined,
    });
  });

  it('reads order=said and within, and refuses them where they mean nothing', () => {
    expect(sessions({ said: ['user:a', 'agent:b'], order: ['said'], within: ['3'] }).conversation).toMatchObject({ ordered: true, within: 3 });
    expect(badRequest(() => sessions({ said: ['user:a'], within: ['3'] }))).toBe("Invalid 'within': it needs order=said");
    expect(badRequest(() => sessions({ notSaid: ['user:a'], order: ['said'] }))).toBe("Invalid 'order': there is no 'said' condition to order");
    expect(badRequest(() => sessions({ said: ['user:a'], order: ['notSaid'] }))).toBe("Invalid 'order': expected said");
    for (const within of ['0', '-1', '1.5', 'x', '100001']) expect(badRequest(() => sessions({ said: ['user:a'], order: ['said'], within: [within] }))).toMatch(/^Invalid 'within'/);
  });

  it('takes at most MAX_CONDITIONS of each, and none on a turn search', () => {
    const many = Array.from({ length: MAX_CONDITIONS + 1 }, (_, i) => `user:w${i}`);
    expect(badRequest(() => sessions({ said: many }))).toBe(`Parameter 'said' may be given at most ${MAX_CONDITIONS} times`);
    expect(badRequest(() => sessions({ notSaid: many }))).toBe(`Parameter 'notSaid' may be given at most ${MAX_CONDITIONS} times`);
    expect(sessions({ said: many.slice(1) }).conversation!.said).toHaveLength(MAX_CONDITIONS);
    expect(badRequest(() => parseSearchRequest({ said: ['user:a'] }, 'turns'))).toMatch(/^Unknown parameter 'said'/);
  });
});

describe('export parameters', () => {
  it('take every parameter of their search, format included, paging and facets accepted', () => {
    expect(parseExportRequest({}, 'turns')).toMatchObject({ format: 'jsonl', q: '', context: 0 });
    expect(parseExportRequest({ format: ['csv'], context: ['2'], page: ['3'], facets: ['role'] }, 'turns')).toMatchObject({ format: 'csv', context: 2 });
    expect(parseExportRequest({ said: ['user:a'], order: ['said'], format: ['csv'] }, 'sessions').conversation).toMatchObject({ ordered: true });
    expect(badRequest(() => parseExportRequest({ format: ['xlsx'] }, 'turns'))).toBe("Invalid 'format': expected jsonl or csv");
    expect(badRequest(() => parseExportRequest({ context: ['1'] }, 'sessions'))).toMatch(/^Unknown parameter 'context'/);
  });
});

/** Every chain, by trying each turn of each condition: the truth `orderedChain` must agree with. */
function chains(positions: number[][], within: number): number[][] {
  const found: number[][] = [];
  const walk = (i: number, chain: number[]) => {
    if (i === positions.length) return void found.push(chain);
    for (const turn of positions[i]!) {
      const last = chain.at(-1);
      if (last === undefined || (turn > last && turn - last <= within)) walk(i + 1, [...chain, turn]);
    }
  };
  walk(0, []);
  return found;
}

describe('orderedChain', () => {
  it('finds the tightest chain that ends first', () => {
    expect(orderedChain([[1, 5], [3, 6]])).toEqual([1, 3]);
    expect(orderedChain([[1, 5], [6]], 1)).toEqual([5, 6]);
    expect(orderedChain([[1, 5], [6]], 4)).toEqual([5, 6]);
    expect(orderedChain([[4], [2]])).toBeUndefined();
    // Strictly later: one turn never satisfies two conditions of an ordered query.
    expect(orderedChain([[3], [3]])).toBeUndefined();
    expect(orderedChain([[2], [3], [4]], 1)).toEqual([2, 3, 4]);
    expect(orderedChain([[0], [2], [3]], 1)).toBeUndefined();
    expect(orderedChain([[0], []])).toBeUndefined();
  });

  it('agrees with trying every chain: found exactly when one exists, in order, within reach, ending first', () => {
    const turns = fc.uniqueArray(fc.integer({ min: 0, max: 25 }), { maxLength: 6 }).map((list) => list.sort((a, b) => a - b));
    fc.assert(
      fc.property(fc.array(turns, { minLength: 1, maxLength: 4 }), fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), (positions, within) => {
        const all = chains(positions, within ?? Infinity);
        const chain = orderedChain(positions, within);
        if (all.length === 0) {
          expect(chain).toBeUndefined();
        } else {
          expect(all).toContainEqual(chain);
          expect(chain!.at(-1)).toBe(Math.min(...all.map((each) => each.at(-1)!)));
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
