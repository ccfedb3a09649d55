import { agentsSource } from './agents/descriptor.js';
import type { SourceRegistry } from './descriptor.js';
import { napsterSource } from './napster/descriptor.js';

/*
 * Every vendor the service can pull from. A new vendor is a folder beside these exporting its
 * descriptor (descriptor.ts), added to both lists below: configuration, sync, the CLI, the API and
 * push/import detection all read them, and nothing else lists the vendors.
 */
const sources = [napsterSource, agentsSource] as const;

export type SourceName = (typeof sources)[number]['name'];

export const SOURCES: SourceRegistry<SourceName> = {
  sources,
  // An agent record may carry an `id` beside its `session_id`; a Napster record has no `session_id`.
  recognitionOrder: [agentsSource, napsterSource],
};

export const SOURCE_NAMES: readonly SourceName[] = sources.map((source) => source.name);

/** `napster or agents`, for messages about a source name that is not one of them. */
export const SOURCE_CHOICES = inWords(SOURCE_NAMES, 'or');

/** `set NAPSTER_API_KEY, or AGENTS_API_KEY and AGENTS_BASE_URL`, for "no source is configured". */
export const SOURCE_SETUP_HINT = `set ${sources.map((source) => source.enabledBy).join(', or ')}`;

/** `a, b or c`. */
export function inWords(items: readonly string[], conjunction: string): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`;
}

export function isSourceName(name: string): name is SourceName {
  return (SOURCE_NAMES as readonly string[]).includes(name);
}
