import { z } from 'zod';
import { Count, named, Redactions } from './registry.js';
import { SessionSummary, Turn } from './search.js';

export const SessionDetail = named(
  'SessionDetail',
  SessionSummary.extend({
    turns: z
      .array(Turn.extend({ highlight: z.string().optional().describe('With `q`, on turns that match it: the text HTML-escaped, matched words in <mark>') }))
      .describe('Every turn, in order'),
  }),
);

export const PushResult = named(
  'PushResult',
  z.object({
    accepted: Count.describe('Sessions written'),
    rejected: z
      .array(z.object({ index: Count.describe('Position of the record in the pushed array (0 for a single object)'), error: z.string() }))
      .describe('Records not written, and why; in the order pushed'),
    redactions: Redactions,
  }),
);

export const Deleted = named('Deleted', z.object({ sessions: Count, turns: Count }));

export const SessionDeleted = named('SessionDeleted', z.object({ deleted: Deleted }));
