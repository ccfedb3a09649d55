import type { Session } from '../../model.js';
import { SourceError } from '../../errors.js';
import { SourceHttpError, keyedSourceHttp, type VendorHttpOptions } from '../http.js';
import {
  InvalidRecordError,
  describeZodError,
  type ListedSession,
  type ListingProblem,
  type SessionSource,
  type UpstreamTotals,
} from '../source.js';
import { mapNapsterSession } from './map.js';
import { NAPSTER_PAGE_SHAPE, NapsterSessionDetail, NapsterSessionPage, NapsterSessionSummary } from './schema.js';

export const NAPSTER_PAGE_SIZE = 100;

/**
 * Napster Companion Sessions API (../shared/vendor-api/napster-sessions-api.txt):
 * `GET /public/sessions?pageIndex&pageSize` (zero-based pages) lists summaries; `GET
 * /public/sessions/{id}` has the transcript. Authenticated with `X-Api-Key`. The list has no time
 * filter, so `since` is not passed on; its counts are the only totals it reports.
 */
export function createNapsterSource(options: VendorHttpOptions): SessionSource {
  const http = keyedSourceHttp(options);

  async function loadById(sessionId: string): Promise<Session | undefined> {
    let body: unknown;
    try {
      body = await http.getJson(`/public/sessions/${encodeURIComponent(sessionId)}`);
    } catch (error) {
      // Listed a moment ago, gone now: deleted upstream in between. Not an error of ours.
      if (error instanceof SourceHttpError && error.status === 404) return undefined;
      throw error;
    }
    const parsed = NapsterSessionDetail.safeParse(body);
    if (!parsed.success) throw new InvalidRecordError(describeZodError(parsed.error));
    if (parsed.data.id !== sessionId) throw new InvalidRecordError(`detail for ${sessionId} carries id ${parsed.data.id}`);
    return mapNapsterSession(parsed.data);
  }

  async function listPage(pageIndex: number, pageSize: number) {
    const page = NapsterSessionPage.safeParse(await http.getJson('/public/sessions', { pageIndex, pageSize }));
    // Read as an empty page, another shape would end the listing early (and a `--full` pass would then
    // take every indexed session for deleted): it fails the run, naming the documented shape.
    if (!page.success) {
      throw new SourceError(`session list page ${pageIndex} is not the documented list answer ${NAPSTER_PAGE_SHAPE}: ${describeZodError(page.error)}`);
    }
    return page.data;
  }

  async function* list(): AsyncIterable<ListedSession | ListingProblem> {
    for (let pageIndex = 0; ; pageIndex++) {
      const page = await listPage(pageIndex, NAPSTER_PAGE_SIZE);
      for (const item of page.items) {
        const summary = NapsterSessionSummary.safeParse(item);
        if (!summary.success) {
          const id = (item as { id?: unknown } | null)?.id;
          yield { problem: describeZodError(summary.error), sessionId: typeof id === 'string' ? id : undefined };
          continue;
        }
        const { id, createdAt, closedAt } = summary.data;
        yield {
          sessionId: id,
          createdAt,
          inProgress: closedAt == null,
          load: () => loadById(id),
        };
      }
      const pageSize = page.pageSize ?? NAPSTER_PAGE_SIZE;
      const total = page.filteredCount ?? page.totalCount;
      const seen = pageIndex * pageSize + page.items.length;
      if (page.items.length === 0 || (total != null ? seen >= total : page.items.length < pageSize)) return;
    }
  }

  async function totals(): Promise<UpstreamTotals | undefined> {
    // The walk lists with no filter, so the sessions it covers are what `filteredCount` counts.
    const page = await listPage(0, 1);
    const sessions = page.filteredCount ?? page.totalCount;
    return sessions == null ? undefined : { sessions };
  }

  return { name: 'napster', list, loadById, totals, stats: http.stats, close: () => http.close() };
}
