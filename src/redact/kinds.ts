/**
 * What `REDACT` can name (CONTRACT.md §2), and the placeholder each redacted span becomes: a word in
 * brackets, which the turns index keeps as one token (engine/indexes.ts), so `[CARD]` finds the turns
 * where someone gave a card number and not every turn that says "card".
 */
export const REDACT_KINDS = ['email', 'phone', 'card', 'iban', 'ssn', 'ip'] as const;
export type RedactKind = (typeof REDACT_KINDS)[number];

export const PLACEHOLDERS: Record<RedactKind, string> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  iban: '[IBAN]',
  ssn: '[SSN]',
  ip: '[IP]',
};

/** Redactions per kind: the built-in kinds by name, custom patterns by theirs. Never the values. */
export type RedactionCounts = Record<string, number>;

export function addCounts(into: RedactionCounts, more: Readonly<RedactionCounts>): RedactionCounts {
  for (const [kind, count] of Object.entries(more)) into[kind] = (into[kind] ?? 0) + count;
  return into;
}
