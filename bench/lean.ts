import { tagStrings } from '../src/engine/documents.js';
import type { Session } from '../src/model.js';

/**
 * The reference design the issue measures us against: one document per turn with what a turn search
 * shows and filters by, one per session with its fields, no keys, no copies, pushed to two indexes
 * with the engine's default settings (everything searchable, nothing filterable).
 */
export function leanDocuments(session: Session): { turns: object[]; session: object } {
  const tags = tagStrings(session.tags);
  const id = session.sessionId.replace(/[^A-Za-z0-9_-]/g, '_');
  return {
    turns: session.turns.map((turn) => ({
      id: `${id}_${turn.turnIndex}`,
      sessionId: session.sessionId,
      turnIndex: turn.turnIndex,
      role: turn.role,
      text: turn.text,
      timestamp: turn.timestamp,
      companionId: session.companionId,
      externalClientId: session.externalClientId,
      tags,
    })),
    session: {
      id,
      sessionId: session.sessionId,
      companionId: session.companionId,
      externalClientId: session.externalClientId,
      tags,
      createdAt: session.createdAt,
      closedAt: session.closedAt,
      turnCount: session.turns.length,
      ...session.usage,
    },
  };
}
