import { z } from 'zod';

/*
 * Zod pieces for environment variables, shared by the service's own settings (config.ts) and each
 * source's (src/sources/<vendor>/descriptor.ts). A blank value is unset: `FOO=` in a compose file or a
 * shell must not count as a value.
 */

export const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

// URL.canParse alone accepts `localhost:7700` (scheme "localhost:"), a likely typo that would only
// fail later, at the first request, without naming the variable.
export const optionalUrl = (name: string) =>
  optionalString.refine((value) => value === undefined || (/^https?:\/\/[^/]/i.test(value) && URL.canParse(value)), {
    message: `${name} must be an absolute http(s) URL such as http://127.0.0.1:7700`,
  });

export const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? String(fallback) : value.trim()))
    .pipe(z.coerce.number<string>().int(`expected a whole number from ${min} to ${max}`).min(min).max(max));

export const positiveNumber = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? String(fallback) : value.trim()))
    .pipe(z.coerce.number<string>().positive('expected a number above 0').max(1_000_000));
