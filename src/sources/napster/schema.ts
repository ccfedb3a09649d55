import { z } from 'zod';
import { MAX_UNIX_SECONDS } from '../../model.js';

/**
 * Napster Companion Sessions API payloads (`GET /public/sessions`, `GET /public/sessions/{id}`).
 * Unknown fields are allowed (vendors add fields); the ones we map must have the right types.
 */
export const NapsterConversationItem = z.object({
  role: z.enum(['user', 'agent']),
  text: z.string(),
  timestamp: z.number().finite().nonnegative().max(MAX_UNIX_SECONDS, 'expected Unix seconds before the year 10000').nullish(),
});
export type NapsterConversationItem = z.infer<typeof NapsterConversationItem>;

/** Unix seconds up to the year 9999: a time past what a date can show is a malformed record, not a session. */
const unixSeconds = z.number().finite().nonnegative().max(MAX_UNIX_SECONDS, 'expected Unix seconds before the year 10000');

export const NapsterSessionSummary = z.object({
  id: z.string().min(1).max(512),
  companionId: z.string().nullish(),
  functions: z.array(z.string()).nullish(),
  knowledgeBaseId: z.string().nullish(),
  faqIds: z.array(z.string()).nullish(),
  // Session configuration page: "The value must match ^[A-Za-z0-9_-]{1,32}$". A different id is a
  // different person, so one that does not match (spaces, full-width letters) is refused, not trimmed.
  externalClientId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected 1 to 32 of A-Z a-z 0-9 _ - (the vendor\'s rule)').nullish(),
  tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
  createdAt: unixSeconds,
  startedAt: unixSeconds.nullish(),
  closedAt: unixSeconds.nullish(),
});
export type NapsterSessionSummary = z.infer<typeof NapsterSessionSummary>;

export const NapsterSessionDetail = NapsterSessionSummary.extend({
  conversation: z.object({ items: z.array(NapsterConversationItem) }),
});
export type NapsterSessionDetail = z.infer<typeof NapsterSessionDetail>;

/** The list page; its items are checked one by one so one bad summary does not lose the page. */
export const NapsterSessionPage = z.object({
  items: z.array(z.unknown()),
  filteredCount: z.number().int().nonnegative().nullish(),
  totalCount: z.number().int().nonnegative().nullish(),
  pageIndex: z.number().int().nonnegative().nullish(),
  pageSize: z.number().int().positive().nullish(),
});
export type NapsterSessionPage = z.infer<typeof NapsterSessionPage>;

/** What a list page looks like, in the words of an error message when one does not. */
export const NAPSTER_PAGE_SHAPE = '{items: [session summary...], filteredCount, totalCount, pageIndex, pageSize}';
