import { ConfigError } from '../errors.js';
import { sumCounts } from '../ingest/sync-counts.js';
import { addCounts } from '../redact/kinds.js';
import type { SyncProgress, SyncSummary } from '../ingest/sync-pass.js';
import { retentionStatus } from '../ingest/retention.js';
import { SyncController, type HeldElsewhere } from '../ingest/sync-controller.js';
import { openEngine, processLeases, sourceFactories, SYNC_ENGINE_PATIENCE_MS, trackerService, writerDeps } from '../runtime.js';
import { isSourceName, SOURCE_CHOICES, SOURCE_NAMES, SOURCE_SETUP_HINT } from '../sources/registry.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { count, perSecond, statusLineWithLog } from './status-line.js';
import { UsageError } from './usage-error.js';

const MAX_WAIT_SECONDS = 86_400;
/** sysexits.h EX_TEMPFAIL: another process holds a source; trying later will work. */
const EXIT_TEMPFAIL = 75;

export const syncCommand: Command = {
  name: 'sync',
  forms: [{ synopsis: `sync [--source ${SOURCE_NAMES.join('|')}] [--full] [--wait SECONDS]`, summary: ['one pass over the configured sources; prints a JSON summary'] }],
  details: `One pass over the configured sources: fetches the sessions created since the last pass and
revisits those still in progress. Prints one JSON summary line on stdout at the end; on a terminal,
a progress line on stderr shows each source's sessions and turns so far and their rate.

A source syncs in one process at a time, whatever shares the engine (serve replicas, other sync
commands): while another process holds a source's lease, this one waits for it, up to --wait.

Options:
  --source NAME    only this source: ${SOURCE_CHOICES}
  --full           also remove indexed sessions the source no longer has
  --wait SECONDS   how long to wait for a source another process is syncing (default: twice
                   LEASE_SECONDS, long enough for a crashed holder's lease to lapse); 0 gives up at once

Exit: 0 every listed session indexed, 2 some skipped as malformed, 1 a failure, 75 a source still
held by another process after --wait (the summary and stderr name it), 78 no source (or not the one
asked for) is configured.`,
  prepare(args) {
    const { values } = parseCommandArgs(
      args,
      { source: { type: 'string' }, full: { type: 'boolean', default: false }, wait: { type: 'string' } },
      { positionals: false },
    );
    const { source, full } = values;
    if (source !== undefined && !isSourceName(source)) throw new UsageError(`--source must be ${SOURCE_CHOICES}, got '${source}'`);
    const wait = values.wait;
    if (wait !== undefined && (!/^\d+$/.test(wait) || Number(wait) > MAX_WAIT_SECONDS)) {
      throw new UsageError(`--wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}, got '${wait}'`);
    }
    return async ({ config, io }) => {
      const waitSeconds = wait === undefined ? 2 * config.leaseSeconds : Number(wait);
      const factories = sourceFactories(config).filter((factory) => source === undefined || factory.name === source);
      if (factories.length === 0) {
        throw new ConfigError(source ? `Source '${source}' is not configured` : `No source is configured: ${SOURCE_SETUP_HINT}`);
      }
      const { status, log } = statusLineWithLog(io.stderr, config.logLevel);
      const engine = await openEngine(config);
      try {
        const client = engine.client.patient(SYNC_ENGINE_PATIENCE_MS);
        const leases = processLeases(engine, config, 'sync', log);
        const trackers = trackerService(client, engine.names, config, log, leases);
        const deps = writerDeps(config, { client, names: engine.names }, log, trackers.hooks());
        const controller = new SyncController({
          ...deps,
          sources: factories,
          concurrency: config.sourceConcurrency,
          leases,
        });
        const started = Date.now();
        // Sources sync side by side: the line shows each one's latest counts.
        const latest = new Map<string, SyncProgress>();
        const summaries = await controller
          .run({
            full,
            waitForLeaseMs: waitSeconds * 1000,
            onProgress: (progress) => {
              latest.set(progress.source, progress);
              status.show(progressLine([...latest.values()], started));
            },
          })
          .finally(() => status.clear());
        // What this pass wrote reaches the trackers' webhooks from here; retries are left to the next process.
        await trackers.settle();
        // Only what retention did: the whole status would also read every source's checkpoint and lease.
        const retention = config.retentionDays !== null && (await retentionStatus(deps));
        io.stdout(`${JSON.stringify({ ...syncTotals(summaries), retention: retention && { cutoff: retention.cutoff, removed: retention.lastSweep } })}\n`);
        const held = summaries.filter((summary): summary is HeldElsewhere => 'heldBy' in summary);
        const ran = summaries.filter((summary) => !('heldBy' in summary));
        for (const summary of held) status.print(`${summary.source}: ${summary.error}`);
        if (ran.some((summary) => summary.error !== null || summary.failed > 0)) return 1;
        if (held.length > 0) return EXIT_TEMPFAIL;
        return ran.some((summary) => summary.skipped > 0) ? 2 : 0;
      } finally {
        await engine.close();
      }
    };
  },
};

function progressLine(sources: SyncProgress[], started: number): string {
  const each = sources.map((p) => `${p.source}: ${count(p.sessions)} sessions, ${count(p.turns)} turns indexed of ${count(p.listed)} listed, ${count(p.skipped)} skipped, ${count(p.failed)} failed`);
  const sessions = sources.reduce((sum, p) => sum + p.sessions, 0);
  return `${each.join('; ')} (${perSecond(sessions, started)} sessions/s)`;
}

function syncTotals(summaries: SyncSummary[]) {
  return {
    ...sumCounts(summaries),
    redactions: summaries.reduce((sum, summary) => addCounts(sum, summary.redactions), {}),
    durationMs: Math.max(0, ...summaries.map((summary) => summary.durationMs)),
    sources: summaries.map(({ skippedSessions, ...summary }) => ({ ...summary, skippedSessions: skippedSessions.slice(0, 20) })),
  };
}
