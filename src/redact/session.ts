import type { Session } from '../model.js';
import type { RedactionCounts } from './kinds.js';
import type { Redactor } from './redactor.js';

/**
 * A session as it may be stored: what its people said (every turn's text) and the free text of its
 * metadata (tag values: agents `metadata` holds notes such as a scenario or a caller's details)
 * redacted, with the redactions counted by kind. Ids (session, companion, client, tenant, knowledge
 * base, functions, FAQs) are left as they are: they are what filters, scopes and `forget` go by, and a
 * redacted id would merge everyone's into one.
 */
export function redactSession(redactor: Redactor, session: Session): { session: Session; redactions: RedactionCounts } {
  const redactions: RedactionCounts = {};
  if (!redactor.active) return { session, redactions };
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(session.tags)) tags[key] = redactor.redact(value, redactions);
  const turns = session.turns.map((turn) => {
    const text = redactor.redact(turn.text, redactions);
    return text === turn.text ? turn : { ...turn, text };
  });
  return { session: { ...session, tags, turns }, redactions };
}
