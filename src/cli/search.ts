import { markedText } from '../engine/highlight.js';
import { withHtmlHighlights, withHtmlSnippets } from '../http/highlights.js';
import { parseSearchRequest } from '../search/params.js';
import type { SearchPage } from '../search/results.js';
import { searchSessions, type SessionHit } from '../search/sessions.js';
import { searchTurns, type TurnHit } from '../search/turns.js';
import { openEngine } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { asUsage, CONVERSATION_HELP, CONVERSATION_OPTIONS, FILTER_HELP, FILTER_OPTIONS, hasConversationOptions, noteDemoIndexes, searchQuery } from './search-options.js';
import { UsageError } from './usage-error.js';

const SYNOPSIS =
  'search QUERY [--sessions] [--companion ID]... [--client ID]... [--tenant ID]... [--tag K:V]... [--role user|agent] [--from TIME] [--to TIME] [--sort relevance|newest|oldest] [--said ROLE:TEXT]... [--not-said ROLE:TEXT]... [--order said] [--within N] [--page N] [--limit N] [--json]';

export const searchCommand: Command = {
  name: 'search',
  forms: [{ synopsis: SYNOPSIS }],
  details: `Searches what was said: one hit per turn, or per session with --sessions. Words are typo-tolerant
and all must match; "double quotes" make an exact phrase. Prints the number of matches, then one line
a hit with the matched words in *asterisks* (with --said, a line below it for each condition's turn).

Options (each is the HTTP API's parameter of the name in brackets, checked the same way):
  --sessions          one hit per session instead of per turn
${FILTER_HELP}
  --page N            page of hits, from 1 [page]
  --limit N           hits per page, 1 to 100 (default 20) [hitsPerPage]
  --json              print the API's answer (GET /v1/search/turns or /v1/search/sessions) instead,
                      highlights as <mark> HTML

With --sessions, what both sides said (conversation conditions):
${CONVERSATION_HELP}

Repeated options of one name match any of their values; different names must all match. Searches
the indexes under INDEX_PREFIX, or the demo's when those do not exist (it says so on stderr); exit 1
when nothing is indexed yet.`,
  prepare(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        sessions: { type: 'boolean', default: false },
        ...FILTER_OPTIONS,
        ...CONVERSATION_OPTIONS,
        page: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      { positionals: true },
    );
    if (!values.sessions && hasConversationOptions(values)) throw new UsageError('--said, --not-said, --order and --within search sessions: add --sessions');
    const kind = values.sessions ? 'sessions' : 'turns';
    const request = asUsage(() => parseSearchRequest(searchQuery(values, positionals), kind));
    return async ({ config, io }) => {
      const engine = await openEngine(config, { read: true });
      try {
        noteDemoIndexes(engine.names, config.indexPrefix, 'searching', io.stderr);
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

// With --json, the page as the HTTP API answers it (highlights.ts): highlights as HTML, never the engine's private-use marks.

function turnLines(page: SearchPage<TurnHit>, json: boolean): string[] {
  if (json) return [JSON.stringify(withHtmlHighlights(page))];
  return [
    `${page.totalHits} turns match${pageOf(page)}`,
    ...page.hits.map((hit) => `${hit.sessionId}#${hit.turnIndex} ${hit.role} [${hit.companionId ?? '-'}]: ${markedText(hit.highlight, '*')}`),
  ];
}

function sessionLines(page: SearchPage<SessionHit>, json: boolean): string[] {
  if (json) return [JSON.stringify(withHtmlSnippets(page))];
  return [
    `${page.totalHits} sessions match${pageOf(page)}`,
    ...page.hits.flatMap((hit) => [
      `${hit.sessionId} (${hit.turnCount} turns) [${hit.companionId ?? '-'}]: ${markedText(hit.snippet, '*')}`,
      ...hit.matches.map((match) => `  said ${match.condition + 1}, turn ${match.turnIndex}: ${markedText(match.highlight, '*')}`),
    ]),
  ];
}

/** Where this page stands, when there is more than one. */
function pageOf(page: SearchPage<unknown>): string {
  return page.totalPages > 1 ? ` (page ${page.page} of ${page.totalPages}, ${page.hitsPerPage} a page)` : '';
}
