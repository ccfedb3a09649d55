import fc from 'fast-check';

/**
 * Values built to break out of a filter literal: quotes of every kind, backslashes, the filter
 * language's own operators and brackets, and unicode that looks like ASCII punctuation, in any mix,
 * optionally wrapped around `seeds` (real ids of the corpus, so an escape that worked would widen a
 * search to data that exists), and variants of the seeds the engine's equality takes for them.
 */
const FRAGMENTS = [
  '"', "'", '`', '\\', '\\\\', '\\"', "\\'", ' ', '  ', '(', ')', '[', ']', ',', ':', '=', '!=', '>', '>=', '<', '<=',
  ' OR ', ' AND ', 'NOT ', ' IN [', ' TO ', ' EXISTS', ' IS NULL', ' IS EMPTY', 'companionId', 'externalClientId',
  'tenantId', 'tags', 'role', '_geoRadius(0, 0, 1)', '1=1', '*', '%', '%22', '&', '#', '+', '/', 'x', '0', '1e9',
  '\u00a0', '\u200b', '\u202e', '\uff02', '\u201c', '\u201d', 'e\u0301', '\u{1f600}', '\u0130', 'ß',
];

const KNOWN = [
  "x' OR companionId != 'x",
  'x" OR companionId != "x',
  "a\\' OR 1=1",
  'a\\" OR 1=1',
  '") OR ("1" = "1',
  '"] OR companionId EXISTS OR companionId IN ["',
  'x" OR NOT companionId = "x',
  'x" OR companionId IS NOT NULL OR companionId = "',
  'x" OR timestamp 0 TO 9999999999 OR companionId = "',
  '\\',
  '"',
  '\\"',
];

/**
 * Values Meilisearch's filter equality takes for `id` although they are other ids: other case,
 * surrounding spaces, full-width letters (NFKC folds them), a zero-width space. Any of them reaching a
 * filter on the readable id would match `id`'s documents.
 */
export function engineEqualVariants(id: string): string[] {
  const fullWidth = [...id].map((char) => (/[!-~]/.test(char) ? String.fromCodePoint(char.codePointAt(0)! + 0xfee0) : char)).join('');
  const title = id.charAt(0).toUpperCase() + id.slice(1);
  return [...new Set([id.toUpperCase(), title, ` ${id}`, `${id} `, `  ${id}\t`, fullWidth, `${fullWidth.charAt(0)}${id.slice(1)}`, `${id}\u200b`])].filter(
    (variant) => variant !== id,
  );
}

export function engineEqualVariant(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.constantFrom(...(seeds.length > 0 ? seeds : ['x'])).chain((seed) => fc.constantFrom(...engineEqualVariants(seed)));
}

export function hostileValue(seeds: readonly string[] = []): fc.Arbitrary<string> {
  const fragment = fc.constantFrom(...FRAGMENTS);
  const seed = seeds.length > 0 ? fc.oneof(fc.constantFrom(...seeds), engineEqualVariant(seeds)) : fc.constant('x');
  const piece = fc.oneof({ arbitrary: fragment, weight: 4 }, { arbitrary: seed, weight: 1 }, { arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }), weight: 1 });
  return fc.oneof(
    { arbitrary: fc.array(piece, { minLength: 1, maxLength: 10 }).map((parts) => parts.join('')), weight: 6 },
    { arbitrary: engineEqualVariant(seeds), weight: 3 },
    { arbitrary: fc.constantFrom(...KNOWN), weight: 2 },
    { arbitrary: fc.tuple(seed, fc.constantFrom(...KNOWN), seed).map(([a, known, b]) => `${a}${known}${b}`), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), weight: 1 },
  );
}

/**
 * Reads one double-quoted literal at `start` the way the engine's filter parser does (a backslash
 * escapes the next character); returns its value and the index after its closing quote.
 */
export function readLiteral(text: string, start: number): { value: string; end: number } {
  if (text[start] !== '"') throw new Error(`expected a literal at ${start}: ${text}`);
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\') value += text[++i] ?? '';
    else if (char === '"') return { value, end: i + 1 };
    else value += char;
  }
  throw new Error(`unterminated literal: ${text}`);
}
