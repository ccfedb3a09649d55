import { markedHtml, markedText } from '../engine/highlight.js';
import { BadRequestError } from '../errors.js';
import { parseSearchRequest, type SearchRequest } from '../search/params.js';
import type { SearchPage } from '../search/results.js';
import { searchSessions, type SessionHit } from '../search/sessions.js';
import { searchTurns, type TurnHit } from '../search/turns.js';
import { openEngine } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './usage-error.js';

export const searchCommand: Command = {
  name: 'search',
  forms: [{ synopsis: 'search QUERY [--sessions] [--companion ID]... [--client ID]... [--tag K:V]... [--role user|agent] [--json]' }],
  details: `Searches what was said: one hit per turn, or per session with --sessions. Words are typo-tolerant
and all must match; "double quotes" make an exact phrase. Prints the number of matches, then one line
a hit with the matched words in *asterisks*.

Options:
  --sessions          one hit per session instead of per turn
  --companion ID      only these companions (repeatable)
  --client ID         only these external clients (repeatable)
  --tag K:V           only sessions with this tag (repeatable)
  --role user|agent   only what that side said
  --json              print the API's answer (GET /v1/search/turns or /v1/search/sessions) instead,
                      highlights as <mark> HTML

Repeated options of one name match any of their values; different names must all match.`,
  prepare(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        sessions: { type: 'boolean', default: false },
        companion: { type: 'string', multiple: true },
        client: { type: 'string', multiple: true },
        tag: { type: 'string', multiple: true },
        role: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      { positionals: true },
    );
    const query: Record<string, string[]> = { q: [positionals.join(' ')] };
    if (values.companion) query.companionId = values.companion;
    if (values.client) query.externalClientId = values.client;
    if (values.tag) query.tag = values.tag;
    if (values.role) query.role = [values.role];
    const kind = values.sessions ? 'sessions' : 'turns';
    let request: SearchRequest;
    try {
      request = parseSearchRequest(query, kind);
    } catch (error) {
      if (error instanceof BadRequestError) throw new UsageError(error.message, { cause: error });
      throw error;
    }
    return async ({ config, io }) => {
      const engine = await openEngine(config);
      try {
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
    `${page.totalHits} turns match`,
    ...page.hits.map((hit) => `${hit.sessionId}#${hit.turnIndex} ${hit.role} [${hit.companionId ?? '-'}]: ${markedText(hit.highlight, '*')}`),
  ];
}

function sessionLines(page: SearchPage<SessionHit>, json: boolean): string[] {
  if (json) return [JSON.stringify({ ...page, hits: page.hits.map((hit) => ({ ...hit, snippet: markedHtml(hit.snippet) })) })];
  return [
    `${page.totalHits} sessions match`,
    ...page.hits.map((hit) => `${hit.sessionId} (${hit.turnCount} turns) [${hit.companionId ?? '-'}]: ${markedText(hit.snippet, '*')}`),
  ];
}
