import { z } from 'zod';
import { named } from './registry.js';

/** Every error the API answers (CONTRACT.md §4); the code→status map is `statusOf` in src/errors.ts. */
export const ErrorBody = named(
  'Error',
  z.object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`, …'),
      message: z.string().describe('What went wrong, naming the parameter or resource'),
      requestId: z.string().describe('Also in the `X-Request-Id` header; quote it when reporting a problem'),
    }),
  }),
);
