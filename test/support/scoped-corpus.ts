import { AGENTS_CORPUS, NAPSTER_CORPUS, readCorpus } from './corpus.js';

/**
 * A sample of both corpora spread over many companions (the files are ordered by service, so the
 * first records would all share one), with one canonical row per turn read straight from the raw
 * records, for tests about who may see what.
 */
export type CorpusRow = {
  sessionId: string;
  companionId: string;
  clientId: string | null;
  tenantId: string | null;
  tags: string[];
  role: 'user' | 'agent';
  text: string;
};

/** One per session, turns or not (some sessions have none yet). */
export type CorpusSession = Omit<CorpusRow, 'role' | 'text'>;

export type CorpusSample = {
  /** Raw vendor records, either shape, for pushing or serving from a fake upstream. */
  records: Array<Record<string, unknown>>;
  rows: CorpusRow[];
  sessions: CorpusSession[];
  /** Companions ordered by how many turns they have, most first. */
  companions: string[];
};

type NapsterRaw = {
  id: string;
  companionId: string;
  externalClientId: string;
  tags: Record<string, string>;
  conversation: { items: Array<{ role: 'user' | 'agent'; text: string }> };
};
type AgentRaw = {
  session_id: string;
  tenant_id: string;
  character_slug: string;
  user: string | null;
  metadata: Record<string, unknown> | null;
  transcript: Array<{ role: 'user' | 'assistant'; text: string }>;
};

/** Every `stride`-th Napster record (up to `napster`) and the first `agents` agent-session records. */
export async function loadCorpusSample(options: { napster: number; stride: number; agents: number }): Promise<CorpusSample> {
  const records: Array<Record<string, unknown>> = [];
  const rows: CorpusRow[] = [];
  const sessions: CorpusSession[] = [];
  let position = 0;
  for await (const raw of readCorpus<NapsterRaw>(NAPSTER_CORPUS)) {
    if (position++ % options.stride !== 0) continue;
    records.push(raw);
    const tags = Object.entries(raw.tags).map(([key, value]) => `${key}:${value}`);
    sessions.push({ sessionId: raw.id, companionId: raw.companionId, clientId: raw.externalClientId, tenantId: null, tags });
    for (const item of raw.conversation.items) {
      rows.push({ sessionId: raw.id, companionId: raw.companionId, clientId: raw.externalClientId, tenantId: null, tags, role: item.role, text: item.text });
    }
    if (records.length >= options.napster) break;
  }
  for await (const raw of readCorpus<AgentRaw>(AGENTS_CORPUS, options.agents)) {
    records.push(raw);
    // Scalar metadata entries are the agent sessions' tags (CONTRACT.md §5).
    const tags = Object.entries(raw.metadata ?? {})
      .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
      .map(([key, value]) => `${key}:${String(value)}`);
    sessions.push({ sessionId: raw.session_id, companionId: raw.character_slug, clientId: raw.user, tenantId: raw.tenant_id, tags });
    for (const turn of raw.transcript) {
      rows.push({
        sessionId: raw.session_id, companionId: raw.character_slug, clientId: raw.user, tenantId: raw.tenant_id, tags,
        role: turn.role === 'assistant' ? 'agent' : 'user', text: turn.text,
      });
    }
  }
  const turnsByCompanion = new Map<string, number>();
  for (const row of rows) turnsByCompanion.set(row.companionId, (turnsByCompanion.get(row.companionId) ?? 0) + 1);
  const companions = [...turnsByCompanion.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  return { records, rows, sessions, companions };
}
