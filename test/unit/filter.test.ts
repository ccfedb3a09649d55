import { describe, expect, it } from 'vitest';
import { allOf, anyOf, numberComparison, quote } from '../../src/engine/filter.js';

/**
 * Reads one Meilisearch double-quoted literal from the start of `text` the way the engine's filter
 * parser does (a backslash escapes the next character), and returns its value and where it ended.
 */
function readLiteral(text: string): { value: string; end: number } {
  if (text[0] !== '"') throw new Error(`not a literal: ${text}`);
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\') {
      value += text[++i] ?? '';
    } else if (char === '"') {
      return { value, end: i + 1 };
    } else {
      value += char;
    }
  }
  throw new Error(`unterminated literal: ${text}`);
}

const HOSTILE = [
  "x' OR companionId != 'x",
  'x" OR companionId != "x',
  "a\\' OR 1=1",
  'a\\" OR 1=1',
  '"',
  '\\',
  '\\"',
  '"\\',
  'line one\nOR role = "agent"',
  'tab\there\r\n',
  ']) OR (companionId EXISTS',
  '',
  'café 😀',
];

describe('quote', () => {
  it('wraps a plain value in double quotes', () => {
    expect(quote('comp_a')).toBe('"comp_a"');
  });

  it('escapes double quotes and backslashes', () => {
    expect(quote('say "hi"')).toBe('"say \\"hi\\""');
    expect(quote('C:\\dir\\')).toBe('"C:\\\\dir\\\\"');
  });

  it.each(HOSTILE)('keeps %j one literal that reads back as itself', (value) => {
    const quoted = quote(value);
    const literal = readLiteral(quoted);
    expect(literal.end).toBe(quoted.length);
    expect(literal.value).toBe(value);
  });

  it('leaves newlines inside the literal', () => {
    expect(quote('a\nb')).toBe('"a\nb"');
  });
});

describe('anyOf', () => {
  it('uses = for one value', () => {
    expect(anyOf('companionId', ['comp_a'])).toBe('companionId = "comp_a"');
  });

  it('uses IN for several values', () => {
    expect(anyOf('tags', ['plan:pro', 'channel:web'])).toBe('tags IN ["plan:pro", "channel:web"]');
  });

  it('matches nothing for an empty list', () => {
    expect(anyOf('companionId', [])).toBe('companionId IN []');
  });

  it('quotes each hostile value into exactly one list element', () => {
    const filter = anyOf('companionId', HOSTILE);
    const prefix = 'companionId IN [';
    expect(filter.startsWith(prefix)).toBe(true);
    let rest = filter.slice(prefix.length);
    const values: string[] = [];
    for (;;) {
      const literal = readLiteral(rest);
      values.push(literal.value);
      rest = rest.slice(literal.end);
      if (rest === ']') break;
      expect(rest.startsWith(', ')).toBe(true);
      rest = rest.slice(2);
    }
    expect(values).toEqual(HOSTILE);
  });

  it('keeps a single hostile value one literal after =', () => {
    const value = "x' OR companionId != 'x";
    const filter = anyOf('companionId', [value]);
    const literal = readLiteral(filter.slice('companionId = '.length));
    expect(literal.value).toBe(value);
    expect(literal.end).toBe(filter.length - 'companionId = '.length);
  });
});

describe('numberComparison', () => {
  it('formats the comparison from a number', () => {
    expect(numberComparison('timestamp', '>=', 1_700_000_000)).toBe('timestamp >= 1700000000');
    expect(numberComparison('startedAt', '<', 1.5)).toBe('startedAt < 1.5');
    expect(numberComparison('startedAt', '>', 0)).toBe('startedAt > 0');
  });

  it('refuses NaN and infinities, naming the attribute', () => {
    expect(() => numberComparison('timestamp', '<=', Number.NaN)).toThrow(/timestamp/);
    expect(() => numberComparison('timestamp', '<=', Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('allOf', () => {
  it('is undefined when there is nothing to filter', () => {
    expect(allOf([])).toBeUndefined();
    expect(allOf([undefined, '', undefined])).toBeUndefined();
  });

  it('returns a single clause as it is', () => {
    expect(allOf([undefined, 'role = "user"'])).toBe('role = "user"');
  });

  it('parenthesises each clause and joins them with AND, skipping empty ones', () => {
    expect(allOf(['companionId IN ["a", "b"]', undefined, 'timestamp >= 5', ''])).toBe(
      '(companionId IN ["a", "b"]) AND (timestamp >= 5)',
    );
  });
});
