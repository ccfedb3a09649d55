import { z } from 'zod';
import { named } from './registry.js';

export const Health = named('Health', z.object({ status: z.literal('ok') }));

export const Readiness = named(
  'Readiness',
  z.object({
    status: z.enum(['ready', 'unavailable']),
    engine: z.enum(['available', 'unavailable']),
    indexes: z.boolean().describe('The indexes exist'),
    indexing: z.boolean().describe('A source is in its first sync: searches answer, but from part of the data'),
  }),
);

export const SearchToken = named(
  'SearchToken',
  z.object({
    token: z.string().describe('A Meilisearch tenant token: search only, on the two indexes, within the key\'s scope'),
    expiresAt: z.iso.datetime(),
    url: z.string().optional().describe('Where browsers reach the engine (MEILI_PUBLIC_URL); absent when it is not set'),
    indexes: z.object({ turns: z.string(), sessions: z.string() }).describe('The index uids to search'),
  }),
);

export const RecordingLink = named('RecordingLink', z.object({ url: z.string().describe('A freshly signed http(s) link to the audio; it expires') }));

export const OpenApiDocumentBody = named(
  'OpenApiDocument',
  z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }).describe('This document'),
);
