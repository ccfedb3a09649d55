import { z } from 'zod';

/**
 * Response bodies by name. The OpenAPI document lists every schema registered here under
 * `components.schemas` and refers to it by name wherever it is used, so generated clients get one
 * type per name (one `Turn`, whether it is a hit's context or a session's transcript).
 */
export const responseSchemas = z.registry<{ id: string }>();

export function named<S extends z.ZodType>(id: string, schema: S): S {
  responseSchemas.add(schema, { id });
  return schema;
}

/** A whole number from 0: counts, indexes, sizes. */
export const Count = z.int().nonnegative();

/** An ISO-8601 UTC time, as every time in a response is written; null where none is known. */
export const Time = z.iso.datetime().nullable();

export const Tags = z.record(z.string(), z.string()).describe('Tags as an object: `{"plan":"pro"}`');

export const Redactions = named(
  'Redactions',
  z
    .record(z.string(), Count)
    .describe('Spans redacted, per kind (`email`, `phone`, `card`, `iban`, `ssn`, `ip`, or a REDACT_PATTERNS_FILE name); never the values; empty when nothing was'),
);
