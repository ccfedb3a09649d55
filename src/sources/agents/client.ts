import type { Session } from '../../model.js';
import { SourceError } from '../../errors.js';
import { SourceHttpError, keyedSourceHttp, type VendorHttpOptions } from '../http.js';
import {
  InvalidRecordError,
  describeZodError,
  type ListOptions,
  type ListedSession,
  type ListingProblem,
  type SessionSource,
  type UpstreamTotals,
} from '../source.js';
import { mapAgentSession } from './map.js';
import { AGENT_PAGE_SHAPE, AgentSessionDetailEnvelope, AgentSessionPage, AgentSessionSummary, type AgentSessionTotals } from './schema.js';

/** The vendor's maximum page size ("default 50 / page, max 200"). */
export const AGENTS_PAGE_SIZE = 200;

/**
 * Agent-sessions API (../shared/vendor-api/agents-*.txt): the list endpoint pages with 1-based
 * `page`/`page_size`, filters on creation time with `start`/`end` and links the next page with an
 * absolute `sessions.pagination.next` URL; transcripts are inline, so listing is loading. Every list
 * page carries aggregate totals over the filtered set. The detail endpoint re-fetches one session
 * (open sessions, sessions about to be deleted, and a fresh `recording_presigned_url`); it answers
 * 404 alike for a session that does not exist and one the caller may not see.
 */
export function createAgentsSource(options: VendorHttpOptions & { listPath: string; detailPath: string }): SessionSource {
  const http = keyedSourceHttp(options);

  function parse(record: unknown): Session {
    const parsed = AgentSessionSummary.safeParse(record);
    if (!parsed.success) throw new InvalidRecordError(describeZodError(parsed.error));
    return mapAgentSession(parsed.data);
  }

  /** The detail as the vendor sent it (validated); undefined when the vendor answers 404. */
  async function fetchDetail(sessionId: string): Promise<AgentSessionSummary | undefined> {
    let body: unknown;
    try {
      body = await http.getJson(options.detailPath.replace('{id}', encodeURIComponent(sessionId)));
    } catch (error) {
      // 404: no such session, or one the caller may not see (the vendor answers both alike); 400: the
      // id is not a UUID, so the vendor cannot have it.
      if (error instanceof SourceHttpError && (error.status === 404 || error.status === 400)) return undefined;
      throw error;
    }
    const envelope = AgentSessionDetailEnvelope.safeParse(body);
    if (envelope.success && envelope.data.success === false) {
      throw new SourceError(`session ${sessionId}: ${envelope.data.message ?? 'the API reported failure'}`);
    }
    // The envelope is documented; a bare summary is accepted as the same answer.
    const record = envelope.success && envelope.data.data !== undefined ? envelope.data.data : body;
    const parsed = AgentSessionSummary.safeParse(record);
    if (!parsed.success) throw new InvalidRecordError(describeZodError(parsed.error));
    if (parsed.data.session_id !== sessionId) throw new InvalidRecordError(`detail for ${sessionId} carries id ${parsed.data.session_id}`);
    return parsed.data;
  }

  async function loadById(sessionId: string): Promise<Session | undefined> {
    const detail = await fetchDetail(sessionId);
    return detail && mapAgentSession(detail);
  }

  async function recordingUrl(sessionId: string): Promise<string | undefined> {
    return (await fetchDetail(sessionId))?.recording_presigned_url ?? undefined;
  }

  /**
   * One list page: its entries, paging link, count and totals. A page of another shape fails the run
   * naming the documented one: read as an empty page, it would end the listing early (and a `--full`
   * pass would then take every indexed session for deleted).
   */
  async function listPage(target: string, query: Record<string, string | number> | undefined, pageNumber: number) {
    const page = AgentSessionPage.safeParse(await http.getJson(target, query));
    if (!page.success) {
      throw new SourceError(`session list page ${pageNumber} is not the documented list answer ${AGENT_PAGE_SHAPE}: ${describeZodError(page.error)}`);
    }
    if (page.data.success === false) throw new SourceError(`session list page ${pageNumber}: ${page.data.message ?? 'the API reported failure'}`);
    const { sessions, ...totals } = page.data.data;
    return { entries: sessions.data, next: sessions.pagination.next ?? null, count: sessions.pagination.count ?? sessions.count ?? null, totals };
  }

  async function* list(listOptions: ListOptions = {}): AsyncIterable<ListedSession | ListingProblem> {
    let target: string | null = options.listPath;
    let query: Record<string, string | number> | undefined = { page: 1, page_size: AGENTS_PAGE_SIZE };
    if (listOptions.since !== undefined) query.start = new Date(listOptions.since * 1000).toISOString();
    for (let pageNumber = 1; target; pageNumber++) {
      const page = await listPage(target, query, pageNumber);
      for (const record of page.entries) {
        let session: Session;
        try {
          session = parse(record);
        } catch (error) {
          const id = (record as { session_id?: unknown } | null)?.session_id;
          yield { problem: (error as Error).message, sessionId: typeof id === 'string' ? id : undefined };
          continue;
        }
        yield {
          sessionId: session.sessionId,
          createdAt: session.createdAt,
          inProgress: session.closedAt === null,
          load: async () => session,
        };
      }
      // `next` is absolute and already carries the paging parameters (and only same-origin links are
      // followed: SourceHttp refuses others, so the key never leaves for another host).
      target = page.entries.length === 0 ? null : page.next;
      query = undefined;
    }
  }

  async function totals(): Promise<UpstreamTotals | undefined> {
    const page = await listPage(options.listPath, { page: 1, page_size: 1 }, 1);
    return upstreamTotals(page.totals, page.count);
  }

  return { name: 'agents', list, loadById, totals, recordingUrl, stats: http.stats, close: () => http.close() };
}

/** The vendor's aggregate totals, field by field; `total_sessions` falls back to the paging count. */
function upstreamTotals(totals: AgentSessionTotals, count: number | null): UpstreamTotals | undefined {
  const sessions = totals.total_sessions ?? count;
  if (sessions == null) return undefined;
  return {
    sessions,
    llmInputTokens: totals.total_llm_input_tokens ?? undefined,
    llmOutputTokens: totals.total_llm_output_tokens ?? undefined,
    sttAudioSeconds: totals.total_stt_audio_seconds ?? undefined,
    ttsCharacters: totals.total_tts_characters ?? undefined,
    costUsd: totals.total_estimated_cost_usd ?? undefined,
  };
}
