import type { Session } from '../../model.js';
import { SourceError } from '../../errors.js';
import { SourceHttp, SourceHttpError, type SourceHttpOptions } from '../http.js';
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
import { AgentSessionDetailEnvelope, AgentSessionPage, AgentSessionSummary } from './schema.js';

/** The vendor's maximum page size. */
export const AGENTS_PAGE_SIZE = 200;

/**
 * Agent-sessions API: the list endpoint pages with `page`/`page_size`, filters on creation time with
 * `start`/`end` and links the next page with an absolute `next` URL; transcripts are inline, so
 * listing is loading. Every list page carries aggregate totals over the filtered set. The detail
 * endpoint re-fetches one session (open sessions, and sessions about to be deleted).
 */
export function createAgentsSource(options: {
  apiKey: string;
  baseUrl: string;
  listPath: string;
  detailPath: string;
  rps: number;
  concurrency: number;
  http?: Partial<SourceHttpOptions>;
}): SessionSource {
  const http = new SourceHttp({
    baseUrl: options.baseUrl,
    headers: { 'x-api-key': options.apiKey },
    rps: options.rps,
    concurrency: options.concurrency,
    ...options.http,
  });

  function parse(record: unknown): Session {
    const parsed = AgentSessionSummary.safeParse(record);
    if (!parsed.success) throw new InvalidRecordError(describeZodError(parsed.error));
    return mapAgentSession(parsed.data);
  }

  async function loadById(sessionId: string): Promise<Session | undefined> {
    let body: unknown;
    try {
      body = await http.getJson(options.detailPath.replace('{id}', encodeURIComponent(sessionId)));
    } catch (error) {
      if (error instanceof SourceHttpError && error.status === 404) return undefined;
      throw error;
    }
    const envelope = AgentSessionDetailEnvelope.safeParse(body);
    const session = parse(envelope.success && envelope.data.data !== undefined ? envelope.data.data : body);
    if (session.sessionId !== sessionId) throw new InvalidRecordError(`detail for ${sessionId} carries id ${session.sessionId}`);
    return session;
  }

  /** One list page's `data`: results, paging links and totals. */
  async function listPage(target: string, query: Record<string, string | number> | undefined, pageNumber: number): Promise<AgentSessionPage['data']> {
    const page = AgentSessionPage.safeParse(await http.getJson(target, query));
    if (!page.success) throw new InvalidRecordError(`session list page ${pageNumber}: ${describeZodError(page.error)}`);
    if (page.data.success === false) throw new SourceError(`session list page ${pageNumber}: ${page.data.message ?? 'the API reported failure'}`);
    return page.data.data;
  }

  async function* list(listOptions: ListOptions = {}): AsyncIterable<ListedSession | ListingProblem> {
    let target: string | undefined = options.listPath;
    let query: Record<string, string | number> | undefined = { page: 1, page_size: AGENTS_PAGE_SIZE };
    if (listOptions.since !== undefined) query.start = new Date(listOptions.since * 1000).toISOString();
    for (let pageNumber = 1; target; pageNumber++) {
      const page: AgentSessionPage['data'] = await listPage(target, query, pageNumber);
      for (const record of page.results) {
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
      // `next` is absolute and already carries the paging parameters.
      target = page.next ?? undefined;
      query = undefined;
      if (page.results.length === 0) break;
    }
  }

  async function totals(): Promise<UpstreamTotals | undefined> {
    const page = await listPage(options.listPath, { page: 1, page_size: 1 }, 1);
    const sessions = page.total_sessions ?? page.count;
    if (sessions == null) return undefined;
    return {
      sessions,
      llmInputTokens: page.total_llm_input_tokens ?? undefined,
      llmOutputTokens: page.total_llm_output_tokens ?? undefined,
      sttAudioSeconds: page.total_stt_audio_seconds ?? undefined,
      ttsCharacters: page.total_tts_characters ?? undefined,
      costUsd: page.total_estimated_cost_usd ?? undefined,
    };
  }

  return { name: 'agents', list, loadById, totals, stats: http.stats, close: () => http.close() };
}
