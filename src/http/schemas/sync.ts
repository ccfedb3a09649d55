import { z } from 'zod';
import { SYNC_COUNTS, type SyncCount } from '../../ingest/sync-counts.js';
import { SOURCE_NAMES } from '../../sources/registry.js';
import { Count, named, Redactions, Time } from './registry.js';

const SourceName = z.enum(SOURCE_NAMES);

const indexedTotals = z.object({
  sessions: z.number(),
  llmInputTokens: z.number(),
  llmOutputTokens: z.number(),
  sttAudioSeconds: z.number(),
  ttsCharacters: z.number(),
  costUsd: z.number(),
});

export const TotalsCheck = named(
  'TotalsCheck',
  z
    .object({
      checkedAt: z.iso.datetime(),
      upstream: indexedTotals.partial().required({ sessions: true }).describe('What the vendor reports holding: sessions, and the usage totals it gives'),
      indexed: indexedTotals.describe('What the index holds for the source'),
      withheld: indexedTotals.describe(
        'Sessions the source lists that are refused on purpose, their client being forgotten, and their usage: the source is compared with indexed + withheld',
      ),
      mismatches: z
        .array(z.object({ field: indexedTotals.keyof(), upstream: z.number(), indexed: z.number().describe('What the index holds, without the withheld sessions') }))
        .describe('Every total for which upstream differs from indexed + withheld; empty when they agree'),
    })
    .describe("The last comparison of the source's own totals with the index"),
);

export const SyncLease = named(
  'SyncLease',
  z
    .object({
      holder: z
        .object({
          instanceId: z.string().describe('Random per process'),
          host: z.string(),
          pid: z.number(),
          process: z.string().describe('The command it runs: `serve`, `sync` or `import`'),
        })
        .describe('The process that holds the lease'),
      acquiredAt: Time,
      expiresAt: z.iso.datetime().describe('When another process may take over, unless the holder renews it first'),
      thisProcess: z.boolean().describe('Held by the process answering'),
    })
    .describe("Who syncs the source now, of every process sharing the engine (`serve` replicas, `sync` commands)"),
);

export const SourceSyncStatus = named(
  'SourceSyncStatus',
  z.object({
    id: z.string(),
    kind: z.literal('source'),
    source: z.string().describe('`napster` or `agents`'),
    running: z.boolean().describe('A pass is running now in the process answering'),
    lease: SyncLease.nullable().describe('Null when no process holds the source\'s lease'),
    fullQueued: z.boolean().describe('A full pass waits for the running one to end'),
    lastRunStartedAt: Time,
    lastRunFinishedAt: Time,
    lastSuccessAt: Time.describe('End of the last pass that indexed everything it listed'),
    lastError: z.string().nullable(),
    watermark: z.number().nullable().describe('Newest session creation time (Unix seconds) fully indexed by a completed pass'),
    openSessionIds: z.array(z.string()).describe('Sessions in progress when last indexed; revisited until they close'),
    lastRun: z
      .object({
        ...(Object.fromEntries(SYNC_COUNTS.map((count) => [count, Count])) as Record<SyncCount, typeof Count>),
        durationMs: z.number(),
        redactions: Redactions.optional(),
      })
      .nullable()
      .describe('The counts of the last pass (the same names as the `sync` command\'s summary)'),
    skippedSessions: z.array(z.object({ sessionId: z.string().nullable(), reason: z.string() })).describe('Records that failed the vendor schema, with the reason'),
    totals: TotalsCheck.nullable(),
  }),
);

const RetentionRemoved = z.object({ sessions: Count, turns: Count, trackerMatches: Count, deliveries: Count });

export const RetentionStatus = named(
  'RetentionStatus',
  z
    .object({
      days: Count.describe('RETENTION_DAYS when the last sweep ran'),
      lastSweepAt: z.iso.datetime(),
      cutoff: z.iso.datetime().describe('Sessions created before this were deleted by the last sweep'),
      lastSweep: RetentionRemoved.describe('What the last sweep deleted: sessions, their turns, tracker match records and webhook deliveries naming them'),
      removedTotal: RetentionRemoved.describe('What every sweep so far deleted'),
    })
    .describe('RETENTION_DAYS sweeps, run at the start of every sync pass; null when none ran'),
);

export const SyncStatus = named(
  'SyncStatus',
  z.object({ sources: z.array(SourceSyncStatus).describe('One per configured source'), retention: RetentionStatus.nullable() }),
);

export const SyncStarted = named(
  'SyncStarted',
  z.object({
    started: z.array(SourceName),
    heldElsewhere: z
      .array(z.object({ source: SourceName, lease: SyncLease }))
      .describe('Sources not started because another process is syncing them; it has the work in hand'),
  }),
);
