import { ConfigError } from '../errors.js';
import { rewriteIndexes } from '../ingest/redact-index.js';
import { openEngine, writerDeps } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { count, perSecond, statusLineWithLog } from './status-line.js';

export const redactCommand: Command = {
  name: 'redact',
  forms: [
    { synopsis: 'redact', summary: ['count what the current REDACT rules would change in what is indexed'] },
    { synopsis: 'redact --apply', summary: ['rewrite what is indexed under the current REDACT rules'] },
  ],
  details: `Applies REDACT and REDACT_PATTERNS_FILE to what the engine already holds: every turn's text,
tags and session previews, the bodies of webhook deliveries not yet sent, the sync statuses' errors
and skip reasons; finished engine tasks of these indexes that quote something the rules catch are
deleted from the engine's task list. Without --apply nothing is written: the counts say what would be.

Only what changes is written, so a second run finds nothing to do. An interrupted run resumes where it
stopped when run again with the same rules. On a terminal, a progress line on stderr shows the
sessions checked. Prints one JSON summary line on stdout.

Deleted text stays in the engine's database files until they are reused or compacted (see compact).

Exit: 0 done, 1 a failure, 78 neither REDACT nor REDACT_PATTERNS_FILE is set.`,
  prepare(args) {
    const { values } = parseCommandArgs(args, { apply: { type: 'boolean', default: false } }, { positionals: false });
    return async ({ config, io }) => {
      if (config.redaction.kinds.length === 0 && config.redaction.patterns.length === 0) {
        throw new ConfigError('REDACT: not set (nor REDACT_PATTERNS_FILE), so there is nothing to redact; set REDACT=all or a comma list of kinds');
      }
      const { status, log } = statusLineWithLog(io.stderr, config.logLevel);
      const engine = await openEngine(config);
      const started = Date.now();
      try {
        const result = await rewriteIndexes(writerDeps(config, engine, log), config.redaction, {
          apply: values.apply,
          onProgress: (progress) =>
            status.show(
              `${count(progress.checked)} of ${count(progress.of)} sessions checked (${perSecond(progress.checked, started)}/s), ${count(progress.rewritten.sessions)} ${values.apply ? 'rewritten' : 'to rewrite'}`,
            ),
        });
        status.clear();
        io.stdout(`${JSON.stringify(result)}\n`);
        return 0;
      } finally {
        status.clear();
        await engine.close();
      }
    };
  },
};
