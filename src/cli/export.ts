import { once } from 'node:events';
import { errorMessage } from '../errors.js';
import { encodedPages, sessionWriter, turnWriter, type HitWriter } from '../http/export-format.js';
import { openEngine } from '../runtime.js';
import { exportSessions, exportTurns, type ExportPages } from '../search/export.js';
import { parseExportRequest } from '../search/params.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { asUsage, CONVERSATION_HELP, CONVERSATION_OPTIONS, FILTER_HELP, FILTER_OPTIONS, hasConversationOptions, noteDemoIndexes, searchQuery } from './search-options.js';
import { count, perSecond, StatusLine } from './status-line.js';
import { UsageError } from './usage-error.js';

const SYNOPSIS =
  'export turns|sessions [QUERY] [--companion ID]... [--client ID]... [--tenant ID]... [--tag K:V]... [--role user|agent] [--from TIME] [--to TIME] [--sort relevance|newest|oldest] [--context N] [--said ROLE:TEXT]... [--not-said ROLE:TEXT]... [--order said] [--within N] [--format jsonl|csv]';

export const exportCommand: Command = {
  name: 'export',
  forms: [{ synopsis: SYNOPSIS }],
  details: `Writes every match of a search to stdout, not a page of it: every turn (export turns) or every
session (export sessions) that \`search\` would find for the same QUERY and options, in its order.
Only the rows go to stdout; on a terminal, a progress line on stderr shows the rows so far, and a
summary line follows on stderr when it is done.

Formats (--format, the HTTP API's format):
  jsonl (default)     one hit a line, as GET /v1/export/turns or /v1/export/sessions writes it
                      (the search API's hits, highlights as <mark> HTML)
  csv                 a header row, then one row a hit (RFC 4180, UTF-8, CRLF): one column per field
                      of the hit, nested values as JSON, and a leading ' on any field starting with
                      =, +, -, @, tab or CR, so that spreadsheets never run it as a formula

Options (each is the HTTP API's parameter of the name in brackets, checked the same way):
${FILTER_HELP}
  --context N         export turns: the N turns before and after each, 0 to 5 [context]

export sessions, by what both sides said (conversation conditions):
${CONVERSATION_HELP}

export turns without QUERY has no size limit; otherwise the engine pages through at most 1,000,000
matches, and a search matching more is refused before anything is written. Reads the indexes under
INDEX_PREFIX, or the demo's when those do not exist (it says so on stderr). Exit: 0 done, 1 a
failure (stdout closed early included: what was written stays), 64 a wrong command line.`,
  prepare(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { ...FILTER_OPTIONS, ...CONVERSATION_OPTIONS, context: { type: 'string' }, format: { type: 'string' } },
      { positionals: true },
    );
    const [kind, ...words] = positionals;
    if (kind !== 'turns' && kind !== 'sessions') {
      throw new UsageError(kind === undefined ? 'export needs what to export: turns or sessions' : `export exports turns or sessions, got '${kind}'`);
    }
    if (kind === 'turns' && hasConversationOptions(values)) throw new UsageError('--said, --not-said, --order and --within select sessions: export sessions');
    if (kind === 'sessions' && values.context !== undefined) throw new UsageError('--context is for export turns');
    const request = asUsage(() => parseExportRequest(searchQuery(values, words), kind));
    return async ({ config, io }) => {
      const engine = await openEngine(config, { read: true });
      const status = new StatusLine(io.stderr);
      try {
        noteDemoIndexes(engine.names, config.indexPrefix, 'exporting from', io.stderr);
        const deps = { engine: engine.client, names: engine.names };
        const started = Date.now();
        const written =
          kind === 'turns'
            ? await writeExport(io.out, await exportTurns(deps, request), turnWriter(request.format, request.context > 0), status, kind, started)
            : await writeExport(io.out, await exportSessions(deps, request), sessionWriter(request.format), status, kind, started);
        status.clear();
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        if (written.failure !== undefined) {
          io.stderr.write(`stopped after ${count(written.rows)} of ${count(written.total)} ${kind}: stdout failed (${errorMessage(written.failure)})\n`);
          return 1;
        }
        io.stderr.write(`${count(written.rows)} ${kind} exported as ${request.format} in ${seconds} s\n`);
        return 0;
      } finally {
        status.clear();
        await engine.close();
      }
    };
  },
};

/**
 * Writes the export to `out` page by page, waiting for `drain` whenever the reader is behind. A
 * failing `out` (a closed pipe: EPIPE) stops it; the rows written so far are said.
 */
async function writeExport<H>(
  out: NodeJS.WritableStream,
  exported: ExportPages<H>,
  writer: HitWriter<H>,
  status: StatusLine,
  kind: string,
  started: number,
): Promise<{ rows: number; total: number; failure?: unknown }> {
  let failure: unknown;
  // Errors of a stream come as events, often after the write that caused them; unheard, one would end the process.
  const onError = (error: unknown) => {
    failure ??= error;
  };
  out.on('error', onError);
  let rows = 0;
  const write = async (bytes: Uint8Array) => {
    try {
      if (!out.write(bytes)) await once(out, 'drain');
    } catch (error) {
      failure ??= error;
    }
  };
  try {
    if (writer.head) await write(Buffer.from(writer.head));
    const nextPage = encodedPages(exported, writer);
    for (let page = await nextPage(); page !== undefined && failure === undefined; page = await nextPage()) {
      await write(page.bytes);
      if (failure === undefined) rows += page.rows;
      status.show(`${count(rows)} of ${count(exported.total)} ${kind} exported (${perSecond(rows, started)}/s)`);
    }
  } finally {
    out.off('error', onError);
  }
  return { rows, total: exported.total, ...(failure === undefined ? {} : { failure }) };
}
