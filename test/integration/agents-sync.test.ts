import type { NapsterRecord } from '../../src/demo/napster-upstream.js';
import type { createApp } from '../../src/http/app.js';
import type { AgentRecord } from '../support/agents-upstream.js';
import { describe, expect, test } from '../support/fixtures.js';
import { agentsFactory, napsterFactory, syncOnce } from '../support/sync.js';
import { agentTranscripts, indexedTranscripts, napsterTranscripts, turnTotal } from '../support/transcripts.js';

type AgentSession = AgentRecord & {
  session_id: string;
  tenant_id: string;
  character_slug: string;
  user: string | null;
  metadata: Record<string, string>;
  finalized_at: string | null;
  llm_input_tokens: number;
  llm_output_tokens: number;
  stt_audio_seconds: number;
  tts_characters: number;
  estimated_cost_usd: number;
  recording_url: string;
  transcript: Array<{ role: 'user' | 'assistant'; text: string; turn_index: number; ts: number }>;
};
type App = ReturnType<typeof createApp>;
type NapsterSession = NapsterRecord & {
  companionId: string;
  tags: Record<string, string>;
  conversation: { items: Array<{ role: 'user' | 'agent'; text: string }> };
};

const NAPSTER_SLICE = 300;
test.override({ agentsSessions: Infinity, napsterSessions: NAPSTER_SLICE });

function count<T>(items: Iterable<T>, keys: (item: T) => Array<string | null>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) for (const key of keys(item)) if (key !== null) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

async function search(app: App, path: string) {
  const response = await app.request(path);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { totalHits: number; facets: Record<string, Record<string, number>> };
}

describe('sync from an agent-sessions API serving the whole Taskmaster-4 corpus', () => {
  test('indexes all 3,710 sessions and 13,915 turns, each exactly as the API serves it', async ({ engine, agents: agentsApi }) => {
    const agents = agentsApi.records as AgentSession[];
    const agentsUpstream = agentsApi.fake;
    const expected = agentTranscripts(agents);
    expect(Object.keys(expected)).toHaveLength(3_710);
    expect(turnTotal(expected)).toBe(13_915);

    const summary = await syncOnce(engine, agentsFactory(agentsUpstream));
    expect(summary).toMatchObject({ error: null, listed: 3_710, sessions: 3_710, turns: 13_915, skipped: 0, failed: 0 });
    expect(await indexedTranscripts(engine, 'agents')).toEqual(expected);
    expect(await engine.client.documentCount(engine.names.turns)).toBe(13_915);
  });

  test('finds that the indexed usage adds up to the list totals', async ({ engine, agents: agentsApi }) => {
    const agents = agentsApi.records as AgentSession[];
    const agentsUpstream = agentsApi.fake;
    const sum = (field: keyof AgentSession) => agents.reduce((total, session) => total + (session[field] as number), 0);
    // A second, incremental run: only the sessions still open are fetched again (by their detail).
    const before = agentsUpstream.detailRequests;
    const summary = await syncOnce(engine, agentsFactory(agentsUpstream));
    const open = agents.filter((session) => session.finalized_at === null).length;
    expect(summary).toMatchObject({ error: null, sessions: open, deleted: 0 });
    expect(agentsUpstream.detailRequests - before).toBe(open);
    expect(summary.totals?.mismatches).toEqual([]);
    expect(summary.totals?.upstream.sessions).toBe(3_710);
    expect(summary.totals?.indexed.llmInputTokens).toBe(sum('llm_input_tokens'));
    expect(summary.totals?.indexed.ttsCharacters).toBe(sum('tts_characters'));
    expect(summary.totals?.indexed.costUsd).toBeCloseTo(sum('estimated_cost_usd'), 9);
  });

  test('maps tenant, client, tags, usage and recording of every session, and never stores the presigned URL', async ({ engine, agents: agentsApi }) => {
    const agents = agentsApi.records as AgentSession[];
    const { results } = await engine.client.fetchDocuments<Record<string, unknown>>(engine.names.sessions, { limit: 10_000 });
    const indexed = new Map(results.map((doc) => [doc.sessionId as string, doc]));
    for (const session of agents) {
      const doc = indexed.get(session.session_id);
      expect({
        companionId: doc?.companionId,
        externalClientId: doc?.externalClientId,
        tenantId: doc?.tenantId,
        tags: doc?.tags,
        inProgress: doc?.inProgress,
        llmInputTokens: doc?.llmInputTokens,
        costUsd: doc?.costUsd,
        hasRecording: doc?.hasRecording,
        recordingUrl: doc?.recordingUrl,
      }).toEqual({
        companionId: session.character_slug,
        externalClientId: session.user,
        tenantId: session.tenant_id,
        tags: Object.entries(session.metadata).map(([key, value]) => `${key}:${value}`),
        inProgress: session.finalized_at === null,
        llmInputTokens: session.llm_input_tokens,
        costUsd: session.estimated_cost_usd,
        hasRecording: true,
        // The vendor's recording_url is a private s3:// URI: not a link a page could open.
        recordingUrl: null,
      });
    }
    // The fake signs a fresh presigned URL into every record it serves; none may reach the engine.
    const turns = await engine.client.fetchDocuments(engine.names.turns, { limit: 10_000 });
    expect(JSON.stringify([results, turns.results])).not.toMatch(/signature=|recording_presigned_url|\/recordings\/|s3:\/\//);
  });

  test('serves a session with its turns in order, offsets being the vendor ts', async ({ app, agents: agentsApi }) => {
    const agents = agentsApi.records as AgentSession[];
    const session = agents.find((candidate) => candidate.transcript.length >= 5)!;
    const response = await app.request(`/v1/sessions/${session.session_id}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { turns: Array<{ turnIndex: number; role: string; text: string; offsetSeconds: number }> };
    expect(body.turns.map(({ turnIndex, role, text, offsetSeconds }) => ({ turnIndex, role, text, offsetSeconds }))).toEqual(
      session.transcript.map((turn, turnIndex) => ({
        turnIndex,
        role: turn.role === 'assistant' ? 'agent' : 'user',
        text: turn.text,
        offsetSeconds: turn.ts,
      })),
    );
  });

  test('shares the indexes with a Napster source: facets span both and count exactly', async ({ app, engine, agents: agentsApi, napster: napsterApi }) => {
    const agents = agentsApi.records as AgentSession[];
    const napster = napsterApi.records as NapsterSession[];
    const napsterUpstream = napsterApi.fake;
    const summary = await syncOnce(engine, napsterFactory(napsterUpstream));
    expect(summary).toMatchObject({ error: null, sessions: NAPSTER_SLICE, skipped: 0, failed: 0 });
    expect(summary.totals?.mismatches).toEqual([]);
    expect(await indexedTranscripts(engine, 'napster')).toEqual(napsterTranscripts(napster));

    const sessions = await search(app, '/v1/search/sessions?facets=companionId,tenantId,source,tags&hitsPerPage=1');
    expect(sessions.totalHits).toBe(agents.length + NAPSTER_SLICE);
    expect(sessions.facets.source).toEqual({ agents: agents.length, napster: NAPSTER_SLICE });
    expect(sessions.facets.companionId).toEqual({
      ...count(agents, (session) => [session.character_slug]),
      ...count(napster, (session) => [session.companionId]),
    });
    expect(sessions.facets.tenantId).toEqual(count(agents, (session) => [session.tenant_id]));
    expect(sessions.facets.tags).toEqual({
      ...count(agents, (session) => Object.entries(session.metadata).map(([key, value]) => `${key}:${value}`)),
      ...count(napster, (session) => Object.entries(session.tags).map(([key, value]) => `${key}:${value}`)),
    });

    const turns = await search(app, '/v1/search/turns?facets=companionId,role&hitsPerPage=1');
    const agentTurns = agents.flatMap((session) => session.transcript.map((turn) => ({ companion: session.character_slug, role: turn.role })));
    const napsterTurns = napster.flatMap((session) => session.conversation.items.map((item) => ({ companion: session.companionId, role: item.role })));
    const allTurns = [...agentTurns, ...napsterTurns];
    expect(turns.totalHits).toBe(allTurns.length);
    expect(turns.facets.companionId).toEqual(count(allTurns, (turn) => [turn.companion]));
    expect(turns.facets.role).toEqual(count(allTurns, (turn) => [turn.role === 'assistant' ? 'agent' : turn.role]));
  });

  test('filters across both sources by tenant and tag, as a corpus count says', async ({ app, agents: agentsApi, napster: napsterApi }) => {
    const agents = agentsApi.records as AgentSession[];
    const napster = napsterApi.records as NapsterSession[];
    const north = agents.filter((session) => session.tenant_id === 'tenant-north');
    const premium = north.filter((session) => session.metadata.plan === 'premium');
    expect((await search(app, '/v1/search/sessions?tenantId=tenant-north&hitsPerPage=1')).totalHits).toBe(north.length);
    expect((await search(app, '/v1/search/sessions?tenantId=tenant-north&tag=plan:premium&hitsPerPage=1')).totalHits).toBe(premium.length);
    const ios = napster.filter((session) => session.tags.channel === 'ios').length;
    const free = agents.filter((session) => session.metadata.plan === 'free').length;
    expect((await search(app, '/v1/search/sessions?tag=channel:ios&tag=plan:free&hitsPerPage=1')).totalHits).toBe(ios + free);
  });
});
