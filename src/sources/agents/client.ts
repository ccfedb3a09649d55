import type { Session } from '../../model.js';
import { SourceHttp, SourceHttpError, type SourceHttpOptions } from '../http.js';
import { InvalidRecordError, describeZodError, type ListedSession, type ListingProblem, type SessionSource } from '../source.js';
import { mapAgentSession } from './map.js';
import { AgentSessionDetailEnvelope, AgentSessionPage, AgentSessionSummary } from './schema.js';

/** The vendor's maximum page size. */
export const AGENTS_PAGE_SIZE = 200;

/**
 * Agent-sessions API: the list endpoint pages with `page`/`page_size` and links the next page with an
 * absolute `next` URL; transcripts are inline, so listing is loading. The detail endpoint re-fetches
 * one session (used for sessions that were still in progress).
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

  async function* list(): AsyncIterable<ListedSession | ListingProblem> {
    let target: string | undefined = options.listPath;
    let query: Record<string, number> | undefined = { page: 1, page_size: AGENTS_PAGE_SIZE };
    for (let pageNumber = 1; target; pageNumber++) {
      const body = await http.getJson(target, query);
      const page = AgentSessionPage.safeParse(body);
      if (!page.success) throw new InvalidRecordError(`session list page ${pageNumber}: ${describeZodError(page.error)}`);
      for (const record of page.data.data.results) {
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
      target = page.data.data.next ?? undefined;
      query = undefined;
      if (page.data.data.results.length === 0) break;
    }
  }

  return { name: 'agents', list, loadById, stats: http.stats, close: () => http.close() };
}
