import { markedHtml, markedText } from '../engine/highlight.js';
import { indexNames } from '../engine/indexes.js';
import { BadRequestError } from '../errors.js';
import { parseSearchRequest, type SearchRequest } from '../search/params.js';
import type { SearchPage } from '../search/results.js';
import { searchSessions, type SessionHit } from '../search/sessions.js';
import { searchTurns, type TurnHit } from '../search/turns.js';
import { openEngine } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './usage-error.js';

const SYNOPSIS =
  'search QUERY [--sessions] [--companion ID]... [--client ID]... [--tenant ID]... [--tag K:V]... [--role user|agent] [--from TIME] [--to TIME] [--sort relevance|newest|oldest] [--page N] [--limit N] [--json]';

/** Options that carry one API parameter's value, by the parameter's name. */
const SINGLE_VALUED = { role: 'role', from: 'from', to: 'to', sort: 'sort', page: 'page', limit: 'hitsPerPage' } as const;

export const searchCommand: Command = {
  name: 'search',
  forms: [{ synopsis: SYNOPSIS }],
  details: `Searches what was said: one hit per turn, or per session with --sessions. Words are typo-tolerant
and all must match; "double quotes" make an exact phrase. Prints the number of matches, then one line
a hit with the matched words in *asterisks*.

Options (each is the HTTP API's parameter of the name in brackets, checked the same way):
  --sessions          one hit per session instead of per turn
  --companion ID      only these companions (repeatable) [companionId]
  --client ID         only these external clients (repeatable) [externalClientId]
  --tenant ID         only these tenants (repeatable) [tenantId]
  --tag K:V           only sessions with this tag (repeatable) [tag]
  --role user|agent   only what that side said [role]
  --from TIME         turns (sessions: sessions started) at or after TIME, ISO-8601 or Unix seconds [from]
  --to TIME           ... at or before TIME; a bare date is the whole day [to]
  --sort ORDER        relevance (default), newest or oldest [sort]
  --page N            page of hits, from 1 [page]
  --limit N           hits per page, 1 to 100 (default 20) [hitsPerPage]
  --json              print the API's answer (GET /v1/search/turns or /v1/search/sessions) instead,
                      highlights as <mark> HTML

Repeated options of one name match any of their values; different names must all match. Searches
the indexes under INDEX_PREFIX, or the demo's when those do not exist (it says so on stderr); exit 1
when nothing is indexed yet.`,
  prepare(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        sessions: { type: 'boolean', default: false },
        companion: { type: 'string', multiple: true },
        client: { type: 'string', multiple: true },
        tenant: { type: 'string', multiple: true },
        tag: { type: 'string', multiple: true },
        role: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        sort: { type: 'string' },
        page: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      { positionals: true },
    );
    const query: Record<string, string[]> = { q: [positionals.join(' ')] };
    if (values.companion) query.companionId = values.companion;
    if (values.client) query.externalClientId = values.client;
    if (values.tenant) query.tenantId = values.tenant;
    if (values.tag) query.tag = values.tag;
    for (const [option, parameter] of Object.entries(SINGLE_VALUED)) {
      const value = values[option as keyof typeof SINGLE_VALUED];
      if (value !== undefined) query[parameter] = [value];
    }
    const kind = values.sessions ? 'sessions' : 'turns';
    let request: SearchRequest;
    try {
      request = parseSearchRequest(query, kind);
    } catch (error) {
      if (error instanceof BadRequestError) throw new UsageError(error.message, { cause: error });
      throw error;
    }
    return async ({ config, io }) => {
      const engine = await openEngine(config, { read: true });
      try {
        if (engine.names.turns !== indexNames(config.indexPrefix).turns) {
          io.stderr.write(`nothing is indexed under INDEX_PREFIX='${config.indexPrefix}': searching the demo's indexes (${engine.names.turns}, ${engine.names.sessions})\n`);
        }
        const deps = { engine: engine.client, names: engine.names };
        const lines = kind === 'sessions' ? sessionLines(await searchSessions(deps, request), values.json) : turnLines(await searchTurns(deps, request), values.json);
        for (const line of lines) io.stdout(`${line}\n`);
        return 0;
      } finally {
        await engine.close();
      }
    };
  },
};

// With --json, the page as the HTTP API answers it: highlights as HTML, never the engine's private-use marks.

function turnLines(page: SearchPage<TurnHit>, json: boolean): string[] {
  if (json) return [JSON.stringify({ ...page, hits: page.hits.map((hit) => ({ ...hit, highlight: markedHtml(hit.highlight) })) })];
  return [
    `${page.totalHits} turns match${pageOf(page)}`,
    ...page.hits.map((hit) => `${hit.sessionId}#${hit.turnIndex} ${hit.role} [${hit.companionId ?? '-'}]: ${markedText(hit.highlight, '*')}`),
  ];
}

function sessionLines(page: SearchPage<SessionHit>, json: boolean): string[] {
  if (json) return [JSON.stringify({ ...page, hits: page.hits.map((hit) => ({ ...hit, snippet: markedHtml(hit.snippet) })) })];
  return [
    `${page.totalHits} sessions match${pageOf(page)}`,
    ...page.hits.map((hit) => `${hit.sessionId} (${hit.turnCount} turns) [${hit.companionId ?? '-'}]: ${markedText(hit.snippet, '*')}`),
  ];
}

/** Where this page stands, when there is more than one. */
function pageOf(page: SearchPage<unknown>): string {
  return page.totalPages > 1 ? ` (page ${page.page} of ${page.totalPages}, ${page.hitsPerPage} a page)` : '';
}
