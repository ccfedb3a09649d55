import { z } from 'zod';
import { BadRequestError } from './errors.js';

/**
 * Query parameters as zod object schemas, one per endpoint: the same schema validates a request and
 * describes the endpoint in the OpenAPI document. A raw query maps every name to all of its values
 * (`?tag=a&tag=b`), so a parameter given twice is seen rather than silently dropped. Every message a
 * schema produces names its parameter; the first one becomes the 400 answer.
 */
export type RawQuery = Record<string, string[]>;

/** Parameters that may be repeated (`?tag=a&tag=b`); the others take one value. Read by the OpenAPI builder. */
export const repeatableParams = z.registry<{ repeatable: true }>();

/** A parameter given at most once; `value` validates its text. */
export function one<T extends z.ZodType>(name: string, value: T) {
  return z.preprocess((values: unknown, ctx) => {
    const list = values as string[];
    if (list.length > 1) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${name}' may be given once, got ${list.length} values` });
      return z.NEVER;
    }
    return list[0];
  }, value);
}

/** A parameter that may be repeated up to `max` times; each value is kept once, in order. */
export function many<T extends z.ZodType<string>>(name: string, value: T, max: number) {
  const schema = repeated(name, value, max)
    .transform((values) => [...new Set(values)])
    .default([]);
  return schema.register(repeatableParams, { repeatable: true });
}

/**
 * A parameter that may be repeated up to `max` times, every value kept where it was given, repeats
 * included: for values whose position means something (the n-th `said` condition of an ordered query).
 */
export function manyInOrder<T extends z.ZodType>(name: string, value: T, max: number) {
  return repeated(name, value, max).default([]).register(repeatableParams, { repeatable: true });
}

function repeated<T extends z.ZodType>(name: string, value: T, max: number) {
  return z.preprocess((values: unknown, ctx) => {
    if ((values as string[]).length > max) ctx.addIssue({ code: 'custom', message: `Parameter '${name}' may be given at most ${max} times` });
    return values;
  }, z.array(value));
}

/** A whole number written in decimal digits only: `1e3`, ` 1`, `0x10` and `1.0` are mistakes, not numbers. */
export function wholeNumber(name: string, min: number, max: number, expected = `a whole number from ${min} to ${max}`) {
  const message = `Invalid '${name}': expected ${expected}`;
  return z.preprocess((text: unknown, ctx) => {
    if (typeof text !== 'string' || !/^\d{1,9}$/.test(text)) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return Number(text);
  }, z.int().min(min, message).max(max, message));
}

/** `true` or `false`, nothing else: `?wait=1` is more likely a typo than a wish. */
export function booleanText(name: string) {
  return z.preprocess((text: unknown, ctx) => {
    if (text !== 'true' && text !== 'false') {
      ctx.addIssue({ code: 'custom', message: `Invalid '${name}': expected true or false` });
      return z.NEVER;
    }
    return text === 'true';
  }, z.boolean());
}

export function rejectUnknown(query: RawQuery, allowed: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) throw new BadRequestError(`Unknown parameter '${name.slice(0, 40)}'; expected one of ${allowed.join(', ')}`);
  }
}

/**
 * Validates a whole query: unknown names are refused first, so a typo such as `companion=` is
 * reported instead of silently widening a search.
 */
export function parseQuery<S extends z.ZodObject>(schema: S, query: RawQuery): z.output<S> {
  rejectUnknown(query, Object.keys(schema.shape));
  return parseKnownParams(schema, query);
}

/** Validates the parameters `schema` names and ignores the others (they belong to another part of the request). */
export function parseKnownParams<S extends z.ZodType>(schema: S, query: RawQuery): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new BadRequestError(parsed.error.issues[0]?.message ?? 'Invalid query parameters');
  return parsed.data;
}

/** For endpoints that take no query parameters. */
export const NoQuery = z.object({});
