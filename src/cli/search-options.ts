import { indexNames, type IndexNames } from '../engine/indexes.js';
import { BadRequestError } from '../errors.js';
import type { RawQuery } from '../query-params.js';
import { UsageError } from './usage-error.js';

/*
 * The options `search` and `export` share: each carries one parameter of the search API, by the
 * parameter's name, and is checked by the API's own rules (a bad value is a usage error naming it).
 */

export const FILTER_OPTIONS = {
  companion: { type: 'string', multiple: true },
  client: { type: 'string', multiple: true },
  tenant: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  role: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  sort: { type: 'string' },
} as const;

export const CONVERSATION_OPTIONS = {
  said: { type: 'string', multiple: true },
  'not-said': { type: 'string', multiple: true },
  order: { type: 'string' },
  within: { type: 'string' },
} as const;

/** Option → the API parameter it carries. */
const PARAMETER_OF = {
  companion: 'companionId',
  client: 'externalClientId',
  tenant: 'tenantId',
  tag: 'tag',
  role: 'role',
  from: 'from',
  to: 'to',
  sort: 'sort',
  said: 'said',
  'not-said': 'notSaid',
  order: 'order',
  within: 'within',
  page: 'page',
  limit: 'hitsPerPage',
  context: 'context',
  format: 'format',
} as const;

export const FILTER_HELP = `  --companion ID      only these companions (repeatable) [companionId]
  --client ID         only these external clients (repeatable) [externalClientId]
  --tenant ID         only these tenants (repeatable) [tenantId]
  --tag K:V           only sessions with this tag (repeatable) [tag]
  --role user|agent   only what that side said [role]
  --from TIME         turns (sessions: sessions started) at or after TIME, ISO-8601 or Unix seconds [from]
  --to TIME           ... at or before TIME; a bare date is the whole day [to]
  --sort ORDER        relevance (default), newest or oldest [sort]`;

export const CONVERSATION_HELP = `  --said ROLE:TEXT    sessions with a turn by ROLE (user, agent or any) matching TEXT as QUERY
                      matches (repeatable: all must hold; each hit shows a turn per condition) [said]
  --not-said ROLE:TEXT
                      sessions without such a turn (repeatable) [notSaid]
  --order said        the --said conditions hold in the order given [order]
  --within N          with --order: each such turn at most N turns after the previous one [within]`;

/** Whether any conversation option was given: they apply to sessions only. */
export function hasConversationOptions(values: Partial<Record<keyof typeof CONVERSATION_OPTIONS, unknown>>): boolean {
  return Object.keys(CONVERSATION_OPTIONS).some((name) => values[name as keyof typeof CONVERSATION_OPTIONS] !== undefined);
}

/** The API's query of the options given, the positional words as `q`. */
export function searchQuery(values: Partial<Record<keyof typeof PARAMETER_OF, string | string[] | boolean | undefined>>, words: readonly string[]): RawQuery {
  const query: RawQuery = { q: [words.join(' ')] };
  for (const [option, parameter] of Object.entries(PARAMETER_OF)) {
    const value = values[option as keyof typeof PARAMETER_OF];
    if (typeof value === 'string') query[parameter] = [value];
    else if (Array.isArray(value)) query[parameter] = value;
  }
  return query;
}

/** Parses with the API's rules; what the API answers with a 400 is a usage error here. */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof BadRequestError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/** Says on stderr when the command reads the demo's indexes, INDEX_PREFIX having none (runtime.ts, `read`). */
export function noteDemoIndexes(names: IndexNames, indexPrefix: string, reading: string, stderr: NodeJS.WriteStream): void {
  if (names.turns === indexNames(indexPrefix).turns) return;
  stderr.write(`nothing is indexed under INDEX_PREFIX='${indexPrefix}': ${reading} the demo's indexes (${names.turns}, ${names.sessions})\n`);
}
