import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/**
 * A parameter's schema as the caller writes it (`io: 'input'`): a whole number is an integer with its
 * bounds even though it arrives as text.
 */
export function jsonSchema(schema: z.core.$ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return tidySchema(json);
}

/**
 * Without what zod writes for its own reasons: the ±2^53 bounds of every integer (JavaScript's limits,
 * not the API's) and the regular expression beside a `format` that already says it (`date-time`).
 */
export function tidySchema(schema: JsonSchema): JsonSchema {
  const tidy: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((key === 'minimum' || key === 'maximum') && Math.abs(Number(value)) === Number.MAX_SAFE_INTEGER) continue;
    if (key === 'pattern' && typeof schema.format === 'string') continue;
    tidy[key] = tidyValue(value);
  }
  return tidy;
}

function tidyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidyValue);
  if (typeof value === 'object' && value !== null) return tidySchema(value as JsonSchema);
  return value;
}
