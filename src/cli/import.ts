import { ingestDeps } from '../ingest/deps.js';
import { whyNotImportable } from '../ingest/import-file-check.js';
import { importFiles, importResult, type FileOutcome, type ImportResult } from '../ingest/import-files.js';
import { createLogger } from '../logger.js';
import { openEngine } from '../runtime.js';
import { SOURCE_CHOICES } from '../sources/registry.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { count, perSecond, StatusLine } from './status-line.js';
import { UsageError } from './usage-error.js';

export const importCommand: Command = {
  name: 'import',
  forms: [{ synopsis: 'import FILE...', summary: ["import .json/.jsonl(.gz) exports in any source's shape"] }],
  details: `Imports exported sessions: .json (one object or an array), .jsonl or .ndjson, each optionally .gz;
every record in a source's shape (${SOURCE_CHOICES}), told apart record by record.

Every file is checked before anything is written (it exists and is readable, a .gz is gzip data); one
that is not is reported as FILE: not imported: why, and the others are imported. Invalid records are
reported on stderr as FILE:LINE: reason and skipped; the rest is imported. Each file's outcome goes to
stderr (FILE: N imported, M skipped), including one that fails part-way (a truncated gzip), with the
line it got to. On a terminal, a progress line shows sessions and turns so far, their rate and the
file. Prints one JSON summary line on stdout: the totals and each file's outcome.

Exit: 0 every file and record imported, 2 some records skipped or refused (forgotten clients), a file
not imported or failed part-way, 1 nothing could be imported, or a failure.`,
  prepare(args) {
    const { positionals: files } = parseCommandArgs(args, {}, { positionals: true });
    if (files.length === 0) throw new UsageError('import needs at least one FILE');
    return async ({ config, io }) => {
      const status = new StatusLine(io.stderr);
      // Log lines go above the progress line instead of being appended to it.
      const log = createLogger(config.logLevel, (line) => status.print(line.trimEnd()));
      // Checked before the engine is opened: when nothing can be imported, nothing is started or created.
      const refusals = new Map<number, FileOutcome>();
      for (const [position, file] of files.entries()) {
        const why = await whyNotImportable(file);
        if (why === undefined) continue;
        const outcome: FileOutcome = { file, status: 'not_imported', error: why };
        refusals.set(position, outcome);
        status.print(describeOutcome(outcome));
      }
      const importable = files.filter((_, position) => !refusals.has(position));
      let imported: FileOutcome[] = [];
      if (importable.length > 0) {
        const engine = await openEngine(config);
        const started = Date.now();
        try {
          const deps = ingestDeps({ engine: engine.client, names: engine.names, log });
          imported = (
            await importFiles(deps, importable, (problem) => status.print(problem), {
              fileDone: (outcome) => status.print(describeOutcome(outcome)),
              progress: ({ file, line, sessions, turns }) =>
                status.show(`${count(sessions)} sessions, ${count(turns)} turns imported (${perSecond(sessions, started)} sessions/s); reading ${file}:${line}`),
            })
          ).outcomes;
        } finally {
          status.clear();
          await engine.close();
        }
      }
      const result = importResult(files.map((_, position) => refusals.get(position) ?? imported.shift()!));
      io.stdout(`${JSON.stringify(result)}\n`);
      return exitCode(result);
    };
  },
};

function describeOutcome(outcome: FileOutcome): string {
  // A file read whole (.json) fails before its first record, if at all.
  if (outcome.status === 'not_imported' || (outcome.status === 'failed' && outcome.afterLine === 0)) return `${outcome.file}: not imported: ${outcome.error}`;
  const refused = outcome.refused > 0 ? `, ${count(outcome.refused)} refused (forgotten clients)` : '';
  const counts = `${count(outcome.sessions)} imported, ${count(outcome.skipped)} skipped${refused}`;
  if (outcome.status === 'imported') return `${outcome.file}: ${counts}`;
  return `${outcome.file}: ${counts}, then failed after line ${count(outcome.afterLine)}: ${outcome.error}`;
}

function exitCode(result: ImportResult): number {
  const wholeFiles = result.outcomes.every((outcome) => outcome.status === 'imported');
  if (!wholeFiles && result.sessions === 0) return 1;
  return wholeFiles && result.skipped === 0 && result.refused === 0 ? 0 : 2;
}
