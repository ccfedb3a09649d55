import type { Scope } from '../model.js';
import { KEYED, exactKey, type KeyedField } from './documents.js';

/*
 * Meilisearch filter expressions from user values. Every value reaches the engine as a double-quoted
 * string literal with `\` and `"` escaped, so no value can close its literal and add operators of its
 * own; attribute names never come from users (they are constants of this code). Ids are compared on
 * their exact keys (documents.ts), never on the engine's case- and width-folding equality.
 */

/** A string literal of the filter language that reads back as exactly `value`. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `attr IN ["a", "b"]`, or `attr = "a"` for one value; an empty list matches nothing. */
export function anyOf(attribute: string, values: readonly string[]): string {
  if (values.length === 0) return `${attribute} IN []`;
  if (values.length === 1) return `${attribute} = ${quote(values[0]!)}`;
  return `${attribute} IN [${values.map(quote).join(', ')}]`;
}

/** Numbers are formatted by us, never spliced from user text. */
export function numberComparison(attribute: string, operator: '=' | '>=' | '<=' | '<' | '>', value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Expected a finite number for ${attribute}, got ${value}`);
  return `${attribute} ${operator} ${value}`;
}

/** Joins clauses with AND, each parenthesised so OR lists inside stay grouped. */
export function allOf(clauses: ReadonlyArray<string | undefined>): string | undefined {
  const present = clauses.filter((clause): clause is string => clause !== undefined && clause !== '');
  if (present.length === 0) return undefined;
  return present.length === 1 ? present[0] : present.map((clause) => `(${clause})`).join(' AND ');
}

/** `field IN [...]` on the exact keys of these ids: matches only the very same ids, byte for byte. */
export function keyedAnyOf(field: KeyedField, ids: readonly string[]): string {
  return anyOf(KEYED[field], ids.map(exactKey));
}

/** `field IN [...]` on exact keys as the engine holds them (read back from documents or facets). */
export function keysAnyOf(field: KeyedField, keys: readonly string[]): string {
  return anyOf(KEYED[field], keys);
}

/**
 * What a caller may see, as a filter: every kind of scope it has (AND), any of the ids of each (OR);
 * undefined for an unscoped caller. Exact, like every id filter here.
 */
export function scopeFilter(scope: Scope): string | undefined {
  return allOf(scopeClauses(scope));
}

/** The clauses of `scopeFilter`, for ANDing with other clauses in one flat filter. */
export function scopeClauses(scope: Scope): Array<string | undefined> {
  return [
    scope.companions ? keyedAnyOf('companionId', scope.companions) : undefined,
    scope.tenants ? keyedAnyOf('tenantId', scope.tenants) : undefined,
    scope.externalClients ? keyedAnyOf('externalClientId', scope.externalClients) : undefined,
  ];
}
