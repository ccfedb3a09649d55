import type { Context } from 'hono';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ExportPages } from '../search/export.js';
import type { ExportFormat } from '../search/params.js';
import type { AppEnv } from './env.js';
import { encodedPages, EXPORT_CONTENT_TYPES, type HitWriter } from './export-format.js';

/**
 * An export as a streamed response: the status and headers go out once the first page is in hand
 * (any error before that is an ordinary error answer), then one chunk per page, each fetched when the
 * connection has taken the one before (the Node adapter waits for `drain`), so a slow reader holds
 * the export back instead of filling memory. A reader that disconnects cancels the stream and aborts
 * the request's signal: the export stops before its next page. A failure after the status was sent
 * can only cut the response short, which the reader sees as a broken transfer, never as a whole file.
 */
export function exportResponse<H>(
  c: Context<AppEnv>,
  log: Logger,
  what: { kind: 'turns' | 'sessions'; format: ExportFormat; exported: ExportPages<H>; writer: HitWriter<H> },
): Response {
  const { kind, format, exported, writer } = what;
  const requestId = c.get('requestId');
  const signal = c.req.raw.signal;
  const nextPage = encodedPages(exported, writer, signal);
  let rows = 0;
  let ended = false;
  // One line per export, when it ends: how far it got and why it stopped (never what was searched for).
  const end = (outcome: 'complete' | 'client gone' | 'failed', error?: unknown) => {
    if (ended) return;
    ended = true;
    const fields = { requestId, kind, format, rows, total: exported.total, outcome };
    if (outcome === 'failed') log.error('export failed', { ...fields, error: errorMessage(error) });
    else log.info('export', fields);
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (writer.head) controller.enqueue(new TextEncoder().encode(writer.head));
      },
      async pull(controller) {
        try {
          const page = await nextPage();
          if (page === undefined) {
            end(signal.aborted ? 'client gone' : 'complete');
            controller.close();
            return;
          }
          rows += page.rows;
          controller.enqueue(page.bytes);
        } catch (error) {
          end('failed', error);
          controller.error(error);
        }
      },
      cancel() {
        // Nothing is asked for after this: the page being fetched, if any, is dropped when it comes.
        end('client gone');
      },
    },
    // Asked for a page only when the connection has taken the one before: `encodedPages` already keeps one ready.
    { highWaterMark: 0 },
  );
  return c.body(body, 200, {
    'content-type': EXPORT_CONTENT_TYPES[format],
    'content-disposition': `attachment; filename="${kind}.${format}"`,
    'x-total-hits': String(exported.total),
    'cache-control': 'no-store',
  });
}
