/**
 * Builds Meilisearch filter expressions from user values. Every value reaches the engine as a
 * double-quoted string literal with `\` and `"` escaped, so no value can close its literal and add
 * operators of its own; attribute names never come from users (they are this module's constants).
 */
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
export function numberComparison(attribute: string, operator: '>=' | '<=' | '<' | '>', value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Expected a finite number for ${attribute}, got ${value}`);
  return `${attribute} ${operator} ${value}`;
}

/** Joins clauses with AND, each parenthesised so OR lists inside stay grouped. */
export function allOf(clauses: ReadonlyArray<string | undefined>): string | undefined {
  const present = clauses.filter((clause): clause is string => clause !== undefined && clause !== '');
  if (present.length === 0) return undefined;
  return present.length === 1 ? present[0] : present.map((clause) => `(${clause})`).join(' AND ');
}
