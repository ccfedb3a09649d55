import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { REDACT_KINDS, type RedactKind } from './kinds.js';
import { Redactor, type CustomPattern, type RedactSettings } from './redactor.js';

/*
 * REDACT and REDACT_PATTERNS_FILE (CONTRACT.md §2), read once at start; a bad value stops the service
 * naming the variable. A pattern file applies whether or not REDACT is set.
 */

/** `all`, or a comma list of kinds; unset or blank is off. */
export function parseRedactKinds(value: string | undefined): RedactKind[] {
  if (value === undefined || value.trim() === '') return [];
  const named = value.split(',').map((part) => part.trim().toLowerCase()).filter(Boolean);
  if (named.includes('all')) return [...REDACT_KINDS];
  const unknown = named.filter((kind) => !(REDACT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) throw new ConfigError(`REDACT: unknown kind ${unknown.map((kind) => `'${kind}'`).join(', ')}; expected a comma list of ${REDACT_KINDS.join(', ')}, or all`);
  return [...new Set(named as RedactKind[])];
}

const PatternEntry = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,31}$/, 'expected a lowercase word of up to 32 characters (a-z, 0-9, _): it names the count and the metric label')
    .refine((name) => !(REDACT_KINDS as readonly string[]).includes(name), 'is a built-in kind: name your pattern differently, or use REDACT'),
  pattern: z.string().min(1, 'must not be empty'),
  placeholder: z.string().min(1, 'must not be empty').max(64, 'at most 64 characters').refine((text) => !/[\u0000-\u001f]/.test(text), 'must be printable'),
});
const PatternsFile = z.array(PatternEntry).max(100, 'at most 100 patterns');

/**
 * The patterns of REDACT_PATTERNS_FILE, each compiled with the `gu` flags (every occurrence, Unicode
 * classes such as `\p{L}`). A pattern that matches the empty string, or a placeholder that the rules
 * would redact again, is refused: a second pass must leave redacted text as it is.
 */
export function loadRedactPatterns(file: string | undefined, kinds: readonly RedactKind[]): CustomPattern[] {
  if (file === undefined) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`REDACT_PATTERNS_FILE: cannot read ${file} as JSON: ${(error as Error).message}`);
  }
  const parsed = PatternsFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `entry ${issue.path.join('.')}` : 'the file';
    throw new ConfigError(`REDACT_PATTERNS_FILE: ${where}: ${issue.message} (expected [{"name","pattern","placeholder"}])`);
  }
  const names = new Set<string>();
  const patterns = parsed.data.map((entry, index): CustomPattern => {
    if (names.has(entry.name)) throw new ConfigError(`REDACT_PATTERNS_FILE: entry ${index}: the name '${entry.name}' is used twice`);
    names.add(entry.name);
    let pattern: RegExp;
    try {
      pattern = new RegExp(entry.pattern, 'gu');
    } catch (error) {
      throw new ConfigError(`REDACT_PATTERNS_FILE: entry ${index} ('${entry.name}'): not a valid regular expression: ${(error as Error).message}`);
    }
    if (pattern.test('')) throw new ConfigError(`REDACT_PATTERNS_FILE: entry ${index} ('${entry.name}'): the pattern matches the empty string`);
    return { name: entry.name, pattern, placeholder: entry.placeholder };
  });
  const redactor = new Redactor({ kinds, patterns });
  for (const pattern of patterns) {
    const again = redactor.detect(pattern.placeholder)[0];
    if (again) throw new ConfigError(`REDACT_PATTERNS_FILE: the placeholder of '${pattern.name}' (${pattern.placeholder}) would itself be redacted as ${again.kind}`);
  }
  return patterns;
}

export function redactSettings(env: { REDACT?: string; REDACT_PATTERNS_FILE?: string }): RedactSettings {
  const kinds = parseRedactKinds(env.REDACT);
  return { kinds, patterns: loadRedactPatterns(env.REDACT_PATTERNS_FILE, kinds) };
}
