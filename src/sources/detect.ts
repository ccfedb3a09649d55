import type { Session } from '../model.js';
import { mapAgentSession } from './agents/map.js';
import { AgentSessionSummary } from './agents/schema.js';
import { mapNapsterSession } from './napster/map.js';
import { NapsterSessionDetail } from './napster/schema.js';
import { InvalidRecordError, describeZodError } from './source.js';

/**
 * A record of either vendor shape (push, file import) → canonical session. The shape is told by its
 * id field: `session_id` is the agents API, `id` with a `conversation` is Napster.
 */
export function parseVendorSession(record: unknown): Session {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new InvalidRecordError('expected a session object');
  }
  if ('session_id' in record) {
    const parsed = AgentSessionSummary.safeParse(record);
    if (!parsed.success) throw new InvalidRecordError(`agent session: ${describeZodError(parsed.error)}`);
    return mapAgentSession(parsed.data);
  }
  if ('id' in record) {
    const parsed = NapsterSessionDetail.safeParse(record);
    if (!parsed.success) throw new InvalidRecordError(`Napster session: ${describeZodError(parsed.error)}`);
    return mapNapsterSession(parsed.data);
  }
  throw new InvalidRecordError('unknown shape: expected a Napster session (id, conversation) or an agent session (session_id, transcript)');
}
