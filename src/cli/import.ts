import { whyNotImportable } from '../ingest/import-file-check.js';
import { importFiles, importResult, type FileOutcome, type ImportResult } from '../ingest/import-files.js';
import { openEngine, processLeases, trackerService, writerDeps } from '../runtime.js';
import { SOURCE_CHOICES } from '../sources/registry.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { count, perSecond, statusLineWithLog } from './status-line.js';
import { UsageError } from './usage-error.js';

export const importCommand: Command = {
  name: 'import',
  forms: [{ synopsis: 'import FILE...', summary: ["import .json/.jsonl(.gz) exports in any source's shape"] }],
  details: `Imports exported sessions: .json (one object or an array), .jsonl or .ndjson, each optionally .gz;
every record in a source's shape (${SOURCE_CHOICES}), told apart record by record.

Every file is checked before anything is written: it exists, is a regular file this user can read,
and a .gz is whole gzip data. When one is not, nothing is imported: each file is reported as
FILE: not imported: why, and the engine is not even started. Invalid records are reported on stderr
as FILE:LINE: reason and skipped; the rest is imported. Each file's outcome goes to stderr
(FILE: N imported, M skipped), including one that fails part-way while read (it changed since the
check), with the line it got to. On a terminal, a progress line shows sessions and turns so far,
their rate and the file. Prints one JSON summary line on stdout: the totals and each file's outcome.

Exit: 0 every record imported, 2 some records skipped or refused (forgotten clients), 66 a file
cannot be read (nothing imported), or failed part-way (what it gave before is imported), 1 a failure.`,
  prepare(args) {
    const { positionals: files } = parseCommandArgs(args, {}, { positionals: true });
    if (files.length === 0) throw new UsageError('import needs at least one FILE');
    return async ({ config, io }) => {
      const { status, log } = statusLineWithLog(io.stderr, config.logLevel);
      // Checked before the engine is opened: when a file cannot be imported, nothing is started or created.
      const checked: Array<{ file: string; why: string | undefined }> = [];
      for (const file of files) checked.push({ file, why: await whyNotImportable(file) });
      const failing = checked.filter(({ why }) => why !== undefined).length;
      if (failing > 0) {
        // All or nothing: an import run again once the files are fixed must not meet half of it done.
        const othersWhy = `nothing is imported while ${failing === 1 ? 'a file fails' : `${failing} files fail`} the check`;
        const outcomes = checked.map(({ file, why }): FileOutcome => ({ file, status: 'not_imported', error: why ?? othersWhy }));
        for (const outcome of outcomes) status.print(describeOutcome(outcome));
        io.stdout(`${JSON.stringify(importResult(outcomes))}\n`);
        return EXIT_NO_INPUT;
      }
      const engine = await openEngine(config);
      const started = Date.now();
      let result: ImportResult;
      try {
        const trackers = trackerService(engine.client, engine.names, config, log, processLeases(engine, config, 'import', log));
        result = await importFiles(writerDeps(config, engine, log, trackers.hooks()), files, (problem) => status.print(problem), {
          fileDone: (outcome) => status.print(describeOutcome(outcome)),
          progress: ({ file, line, sessions, turns }) =>
            status.show(`${count(sessions)} sessions, ${count(turns)} turns imported (${perSecond(sessions, started)} sessions/s); reading ${file}:${line}`),
        });
        // What this import wrote reaches the trackers' webhooks from here; retries are left to the next process.
        await trackers.settle();
      } finally {
        status.clear();
        await engine.close();
      }
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

/** sysexits.h EX_NOINPUT: an input file did not exist or was not readable. */
const EXIT_NO_INPUT = 66;

function exitCode(result: ImportResult): number {
  if (result.outcomes.some((outcome) => outcome.status === 'failed')) return EXIT_NO_INPUT;
  // Files after one whose write failed were not read: the import failed.
  if (result.outcomes.some((outcome) => outcome.status === 'not_imported')) return 1;
  return result.skipped === 0 && result.refused === 0 ? 0 : 2;
}
