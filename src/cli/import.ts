import { ingestDeps } from '../ingest/deps.js';
import { importFiles } from '../ingest/import-files.js';
import { openEngine } from '../runtime.js';
import { SOURCE_CHOICES } from '../sources/registry.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './usage-error.js';

export const importCommand: Command = {
  name: 'import',
  forms: [{ synopsis: 'import FILE...', summary: ["import .json/.jsonl(.gz) exports in any source's shape"] }],
  details: `Imports exported sessions: .json (one object or an array), .jsonl or .ndjson, each optionally .gz;
every record in a source's shape (${SOURCE_CHOICES}), told apart record by record. Invalid records
are reported on stderr as FILE:LINE: reason and skipped; the rest is imported. Prints one JSON summary
line on stdout.

Exit: 0 every record imported, 2 some skipped or refused (forgotten clients), 1 a failure.`,
  prepare(args) {
    const { positionals: files } = parseCommandArgs(args, {}, { positionals: true });
    if (files.length === 0) throw new UsageError('import needs at least one FILE');
    return async ({ config, log, io }) => {
      const engine = await openEngine(config);
      try {
        const result = await importFiles(ingestDeps({ engine: engine.client, names: engine.names, log }), files, (problem) => io.stderr.write(`${problem}\n`));
        io.stdout(`${JSON.stringify(result)}\n`);
        return result.skipped > 0 || result.refused > 0 ? 2 : 0;
      } finally {
        await engine.close();
      }
    };
  },
};
