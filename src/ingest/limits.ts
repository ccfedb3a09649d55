import { MAX_ID_BYTES } from '../engine/documents.js';
import type { Session } from '../model.js';
import { InvalidRecordError } from '../sources/source.js';

/**
 * What one session may carry. Each turn document copies the session's ids, tags, functions and FAQ
 * ids, so a session's size at the engine is about (those bytes × turns) + its text: without bounds a
 * 132 KB push (100 tags of 1 KB, 1,000 turns) became over 100 MB of documents. The bounds are far
 * above anything in the corpora (at most 50 turns, 453 bytes a turn, 3 KB a session) and in the
 * vendors' pages (client ids of at most 32 characters).
 */
export const SESSION_LIMITS = {
  /** UTF-8 bytes of any id: session, companion, client, tenant, knowledge base, function, FAQ. */
  idBytes: MAX_ID_BYTES,
  tags: 64,
  /** Bytes of one `key:value` tag. */
  tagBytes: 512,
  functions: 128,
  faqIds: 128,
  turns: 20_000,
  /** Bytes of one turn's text. */
  turnTextBytes: 64 * 1024,
  /** Bytes of all the text of a session. */
  textBytes: 8 * 1024 * 1024,
  /** Bytes copied onto its turn documents (ids, tags, functions, FAQ ids) × turns. */
  copiedBytes: 16 * 1024 * 1024,
} as const;

/** A session past one of SESSION_LIMITS: skipped by sync and import, refused by push with 413. */
export class SessionTooLargeError extends InvalidRecordError {
  override name = 'SessionTooLargeError';
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Throws SessionTooLargeError naming the first limit the session passes. */
export function checkSessionLimits(session: Session): void {
  const fail = (what: string) => {
    throw new SessionTooLargeError(`session exceeds a limit: ${what}`);
  };
  const ids: Array<[string, string | null]> = [
    ['sessionId', session.sessionId],
    ['companionId', session.companionId],
    ['externalClientId', session.externalClientId],
    ['tenantId', session.tenantId],
    ['knowledgeBaseId', session.knowledgeBaseId],
    ...session.functions.map((id): [string, string] => ['functions', id]),
    ...session.faqIds.map((id): [string, string] => ['faqIds', id]),
  ];
  for (const [name, id] of ids) {
    if (id !== null && bytes(id) > SESSION_LIMITS.idBytes) fail(`${name} is ${bytes(id)} bytes, at most ${SESSION_LIMITS.idBytes} are allowed`);
  }
  const tags = Object.entries(session.tags).map(([key, value]) => `${key}:${value}`);
  if (tags.length > SESSION_LIMITS.tags) fail(`${tags.length} tags, at most ${SESSION_LIMITS.tags} are allowed`);
  for (const tag of tags) if (bytes(tag) > SESSION_LIMITS.tagBytes) fail(`a tag of ${bytes(tag)} bytes, at most ${SESSION_LIMITS.tagBytes} are allowed`);
  if (session.functions.length > SESSION_LIMITS.functions) fail(`${session.functions.length} functions, at most ${SESSION_LIMITS.functions} are allowed`);
  if (session.faqIds.length > SESSION_LIMITS.faqIds) fail(`${session.faqIds.length} faqIds, at most ${SESSION_LIMITS.faqIds} are allowed`);
  if (session.turns.length > SESSION_LIMITS.turns) fail(`${session.turns.length} turns, at most ${SESSION_LIMITS.turns} are allowed`);
  let text = 0;
  for (const turn of session.turns) {
    const size = bytes(turn.text);
    if (size > SESSION_LIMITS.turnTextBytes) fail(`turn ${turn.turnIndex} has ${size} bytes of text, at most ${SESSION_LIMITS.turnTextBytes} are allowed`);
    text += size;
  }
  if (text > SESSION_LIMITS.textBytes) fail(`${text} bytes of text, at most ${SESSION_LIMITS.textBytes} are allowed`);
  // Each copied id also travels as its exact key (twice its bytes).
  const copied = ids.reduce((sum, [, id]) => sum + (id === null ? 0 : 3 * bytes(id)), 0) + tags.reduce((sum, tag) => sum + bytes(tag), 0);
  if (copied * session.turns.length > SESSION_LIMITS.copiedBytes) {
    fail(`its ids and tags (${copied} bytes) copied onto each of its ${session.turns.length} turns make ${copied * session.turns.length} bytes, at most ${SESSION_LIMITS.copiedBytes} are allowed`);
  }
}
