import type { Session } from '../model.js';
import type { SourceRegistry } from './descriptor.js';
import { SOURCES, inWords } from './registry.js';
import { InvalidRecordError } from './source.js';

/**
 * A record of any registered vendor's shape (push, file import) → canonical session. The first vendor
 * in the registry's recognition order that recognises the record's fields parses it.
 */
export function vendorSessionParser(registry: SourceRegistry): (record: unknown) => Session {
  const unknownShape = `unknown shape: expected ${inWords(registry.sources.map((source) => source.records.shape), 'or')}`;
  return (record) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new InvalidRecordError('expected a session object');
    }
    const source = registry.recognitionOrder.find((candidate) => candidate.records.recognises(record));
    if (!source) throw new InvalidRecordError(unknownShape);
    return source.records.parse(record);
  };
}

/** `session_id` is the agents API, `id` is Napster. */
export const parseVendorSession = vendorSessionParser(SOURCES);
