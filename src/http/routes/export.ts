import { exportSessions, exportTurns } from '../../search/export.js';
import { exportRequestOf, SessionsExportQuery, TurnsExportQuery } from '../../search/params.js';
import { defineRoute } from '../define-route.js';
import { EXPORT_CONTENT_TYPES, sessionWriter, turnWriter } from '../export-format.js';
import { exportResponse } from '../export-response.js';
import type { ApiRoute } from '../route.js';

const FORMATS = Object.values(EXPORT_CONTENT_TYPES).map((type) => type.split(';')[0]!);

const HOW = `Streams every match within the key's scope, not a page: JSON lines (\`format=jsonl\`, the default), one hit a line exactly as the search answers it, or CSV (\`format=csv\`, RFC 4180, UTF-8, CRLF): a header row, then one column per field of the hit in the order its schema lists them, nested values (tags, lists, context, matches) as JSON, and a leading \`'\` on any field starting with \`=\`, \`+\`, \`-\`, \`@\`, tab or CR so that spreadsheets do not run it as a formula. The \`X-Total-Hits\` header is the \`totalHits\` of the same search: the rows that follow, unless sessions are written meanwhile. Without \`q\` an export has no size limit; a text search is paged by the engine through at most 1,000,000 matches, and an export of one matching more is refused (400) before anything is sent. A failure after the first row cuts the response short (a broken transfer, never a complete-looking file). Closing the connection stops the export.`;

export const exportRoutes: ApiRoute[] = [
  defineRoute(
    {
      method: 'get', path: '/v1/export/turns', tag: 'Search', access: 'search', query: TurnsExportQuery,
      summary: 'Export every turn a turn search matches, as JSON lines or CSV',
      description: `Takes every parameter of \`GET /v1/search/turns\` (paging and facets are accepted and have no effect), \`context\` included. ${HOW}`,
      responses: { 200: { description: 'Every matching turn, in the search\'s order: a TurnHit a line, or a CSV row', contentType: FORMATS } },
    },
    (deps) => async (c, { caller, query }) => {
      const request = exportRequestOf(query);
      const exported = await exportTurns(deps, request, caller);
      return exportResponse(c, deps.log, { kind: 'turns', format: request.format, exported, writer: turnWriter(request.format, request.context > 0) });
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/v1/export/sessions', tag: 'Search', access: 'search', query: SessionsExportQuery,
      summary: 'Export every session a session search matches, conversation conditions included, as JSON lines or CSV',
      description: `Takes every parameter of \`GET /v1/search/sessions\` (paging and facets are accepted and have no effect), the conversation conditions (\`said\`, \`notSaid\`, \`order\`, \`within\`) included, with their limits. ${HOW}`,
      responses: { 200: { description: 'Every matching session, in the search\'s order: a SessionHit a line, or a CSV row', contentType: FORMATS } },
    },
    (deps) => async (c, { caller, query }) => {
      const request = exportRequestOf(query);
      const exported = await exportSessions(deps, request, caller);
      return exportResponse(c, deps.log, { kind: 'sessions', format: request.format, exported, writer: sessionWriter(request.format) });
    },
  ),
];
