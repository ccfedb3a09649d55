import type { PushResult } from './bulk-push.js';
import { QUERIES } from './queries.js';
import type { ExportResult } from './export.js';
import type { LatencyResult } from './latency.js';
import type { Percentiles } from './stats.js';
import type { SyncResult } from './sync-process.js';
import type { ThroughputResult } from './throughput.js';

export type ScaleResult = {
  scale: number;
  sessions: number;
  turns: number;
  ndjsonMb: number;
  defaultPush: PushResult;
  limit: PushResult;
  sync: SyncResult;
  /** The same sync with REDACT=all (1× only). */
  syncRedacted?: SyncResult;
  syncToLimit: number;
  redactedToSync?: number;
  syncToDefaultPush: number;
  /** The same sync with trackers made beforehand (1× only): `overhead` is its extra time, as a share of the plain sync's. */
  tracked?: { trackers: number; sync: SyncResult; overhead: number };
};

export type SearchResult = {
  scale: number;
  /** `relay`: the same engine calls through a bare Node relay (relay-server.ts), the floor of any hop. */
  latency: LatencyResult<'api' | 'relay' | 'direct'>;
  /** GET /health on the API and on the engine: a request neither side does any work for. */
  roundTrip: Record<'api' | 'direct', Percentiles>;
  throughput: ThroughputResult;
  engineCallsPerQuery: number;
  servePeakRssMb: number;
  /** Two-condition session searches (CONVERSATION_QUERIES) through the API. */
  conversation: LatencyResult<'api'>;
  /** Every turn exported through a fresh `serve`, as JSON lines and as CSV. */
  exports: ExportResult[];
};

export type TargetCheck = { name: string; target: string; measured: string; met: boolean };

export type BenchResult = {
  date: string;
  machine: { cpus: number; model: string; ramGb: number; node: string; meilisearch: string };
  load: { before: number[]; after: number[] };
  options: Record<string, number>;
  scales: ScaleResult[];
  search: SearchResult;
  targets: TargetCheck[];
};

const s = (seconds: number) => `${seconds.toFixed(1)} s`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const x = (ratio: number) => `${ratio.toFixed(2)}×`;
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const cpuOf = (sync: SyncResult, process: string) => `${(sync.cpuSeconds[process] ?? 0).toFixed(1)} s`;

/** The targets against this run's numbers. Growth targets need a run with --scale N > 1. */
export function checkTargets(scales: ScaleResult[], search: SearchResult): TargetCheck[] {
  const one = scales[0]!;
  const { api, relay, direct } = search.latency.sides;
  const checks: TargetCheck[] = [
    { name: 'sync / limit', target: '≤ 1.15×', measured: x(one.syncToLimit), met: one.syncToLimit <= 1.15 },
    {
      name: 'sync vs lean default-settings bulk push',
      target: '< 1.00×',
      measured: `${x(one.syncToDefaultPush)} (${s(one.sync.seconds)} vs ${s(one.defaultPush.seconds)})`,
      met: one.syncToDefaultPush < 1,
    },
    { name: 'sync peak RSS (1×)', target: '≤ 200 MB', measured: `${int(one.sync.peakRssMb)} MB`, met: one.sync.peakRssMb <= 200 },
    {
      name: 'API p50 − bare Node relay p50',
      target: '≤ 0.5 ms',
      measured: `${ms(api.p50 - relay.p50)} (API ${ms(api.p50)}, relay ${ms(relay.p50)}, direct ${ms(direct.p50)})`,
      met: api.p50 - relay.p50 <= 0.5,
    },
    { name: 'API p99', target: '≤ 30 ms', measured: `${ms(api.p99)} (direct ${ms(direct.p99)})`, met: api.p99 <= 30 },
    { name: 'API / direct throughput', target: '≥ 0.75', measured: search.throughput.ratio.toFixed(2), met: search.throughput.ratio >= 0.75 },
    {
      name: 'conversation query p50 (2 conditions, API)',
      target: '≤ 50 ms',
      measured: `${ms(search.conversation.sides.api.p50)} (p95 ${ms(search.conversation.sides.api.p95)})`,
      met: search.conversation.sides.api.p50 <= 50,
    },
    ...sessionTextChecks(search),
    ...search.exports.flatMap((run) => [
      { name: `export ${run.format} turns/s`, target: '≥ 20,000', measured: `${int(run.rowsPerSecond)} (${int(run.rows)} in ${s(run.seconds)})`, met: run.rowsPerSecond >= 20_000 },
      { name: `export ${run.format} RSS growth`, target: '≤ 50 MB', measured: `${run.rssGrowthMb.toFixed(1)} MB (from ${int(run.rssBeforeMb)} MB)`, met: run.rssGrowthMb <= 50 },
    ]),
  ];
  if (one.syncRedacted && one.redactedToSync !== undefined) {
    checks.push({
      name: 'sync with REDACT=all / sync',
      target: '≤ 1.15×',
      measured: `${x(one.redactedToSync)} (${s(one.syncRedacted.seconds)} vs ${s(one.sync.seconds)}; sync process CPU ${cpuOf(one.syncRedacted, 'sync')} vs ${cpuOf(one.sync, 'sync')})`,
      met: one.redactedToSync <= 1.15,
    });
  }
  if (one.tracked) {
    checks.push({
      name: `sync with ${one.tracked.trackers} trackers`,
      target: '≤ +10 %',
      measured: `${one.tracked.overhead >= 0 ? '+' : '−'}${Math.abs(one.tracked.overhead * 100).toFixed(1)} % (${s(one.tracked.sync.seconds)} vs ${s(one.sync.seconds)})`,
      met: one.tracked.overhead <= 0.1,
    });
  }
  const big = scales.length > 1 ? scales[scales.length - 1]! : undefined;
  if (big) {
    const timeRatio = big.sync.seconds / one.sync.seconds;
    const rssRatio = big.sync.peakRssMb / one.sync.peakRssMb;
    checks.push(
      { name: `sync / limit at ${big.scale}×`, target: '≤ 1.15×', measured: x(big.syncToLimit), met: big.syncToLimit <= 1.15 },
      {
        name: `sync vs lean default-settings bulk push at ${big.scale}×`,
        target: '< 1.00×',
        measured: `${x(big.syncToDefaultPush)} (${s(big.sync.seconds)} vs ${s(big.defaultPush.seconds)})`,
        met: big.syncToDefaultPush < 1,
      },
      { name: `sync time ${big.scale}× / 1×`, target: `≤ ${(1.1 * big.scale).toFixed(1)}×`, measured: x(timeRatio), met: timeRatio <= 1.1 * big.scale },
      // Issue 20: ten times the data in the same memory, within 10 %.
      { name: `sync peak RSS ${big.scale}× / 1×`, target: '≤ 1.10×', measured: `${x(rssRatio)} (${int(big.sync.peakRssMb)} vs ${int(one.sync.peakRssMb)} MB)`, met: rssRatio <= 1.1 },
    );
  }
  return checks;
}

/** Issue 20: session searches with text, at the scale searched, p50 ≤ 20 ms and p99 ≤ 60 ms through the API, each query. */
function sessionTextChecks(search: SearchResult): TargetCheck[] {
  const names = new Set(QUERIES.filter((query) => query.path.startsWith('/v1/search/sessions?') && /[?&]q=/.test(query.path)).map((query) => query.name));
  const queries = search.latency.perQuery.filter((query) => names.has(query.name));
  if (queries.length === 0) return [];
  const worst = (pick: (query: (typeof queries)[number]) => number) => Math.max(...queries.map(pick));
  const range = (pick: (query: (typeof queries)[number]) => number) => `${ms(Math.min(...queries.map(pick)))}–${ms(worst(pick))}`;
  return [
    { name: `session searches with text p50 (${search.scale}×, API)`, target: '≤ 20 ms', measured: range((query) => query.p50.api), met: worst((query) => query.p50.api) <= 20 },
    { name: `session searches with text p99 (${search.scale}×, API)`, target: '≤ 60 ms', measured: range((query) => query.p99.api), met: worst((query) => query.p99.api) <= 60 },
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

export function formatReport(result: BenchResult): string {
  const lines: string[] = [];
  const { machine, load } = result;
  lines.push(
    `transcript-search bench · ${result.date} · ${machine.cpus} cores ${machine.model} · ${machine.ramGb} GB · Node ${machine.node} · Meilisearch ${machine.meilisearch}`,
    `load average (1/5/15 min) before ${load.before.map((v) => v.toFixed(2)).join(' ')} · after ${load.after.map((v) => v.toFixed(2)).join(' ')}`,
    '',
  );
  const ingest: string[][] = [['ingest', 'sessions', 'turns', 'lean default push', 'limit', 'sync', 'sync REDACT=all', 'first batch at', 'tail', 'sync/limit', 'sync docs/s', 'sync peak RSS', 'engine busy in sync', 'sync tasks/batches']];
  for (const scale of result.scales) {
    ingest.push([
      `${scale.scale}×`,
      int(scale.sessions),
      int(scale.turns),
      `${s(scale.defaultPush.seconds)} (turns ${s(scale.defaultPush.turnsSeconds)}, sessions ${s(scale.defaultPush.sessionsSeconds)})`,
      `${s(scale.limit.seconds)} (turns ${s(scale.limit.turnsSeconds)}, sessions ${s(scale.limit.sessionsSeconds)})`,
      s(scale.sync.seconds),
      scale.syncRedacted ? `${s(scale.syncRedacted.seconds)} (${x(scale.redactedToSync!)}; ${int(Object.values(scale.syncRedacted.redactions).reduce((sum, n) => sum + n, 0))} redacted)` : '',
      s(scale.sync.firstBatchSeconds),
      s(scale.sync.tailSeconds),
      x(scale.syncToLimit),
      int(scale.sync.docsPerSecond),
      `${int(scale.sync.peakRssMb)} MB`,
      s(scale.sync.engineBusySeconds),
      `${scale.sync.batching.documentTasks}/${scale.sync.batching.engineBatches} (limit ${scale.limit.batching.documentTasks}/${scale.limit.batching.engineBatches})`,
    ]);
  }
  lines.push(table(ingest), '');
  // CPU seconds are far less sensitive to other load on the machine than wall time: the robust view.
  const cpu: string[][] = [['CPU seconds', 'engine', 'sync process', 'bench (upload / upstream)', 'total', 'total vs limit']];
  const cell = (value: number | undefined) => (value === undefined ? '' : value.toFixed(1));
  const total = (used: Record<string, number>) => Object.values(used).reduce((sum, value) => sum + value, 0);
  for (const scale of result.scales) {
    const limitTotal = total(scale.limit.cpuSeconds);
    for (const [phase, used] of [
      ['lean default push', scale.defaultPush.cpuSeconds],
      ['limit', scale.limit.cpuSeconds],
      ['sync', scale.sync.cpuSeconds],
      ...(scale.syncRedacted ? [['sync REDACT=all', scale.syncRedacted.cpuSeconds] as const] : []),
    ] as const) {
      cpu.push([`${scale.scale}× ${phase}`, cell(used.engine), cell(used.sync), cell(used.bench), cell(total(used)), x(total(used) / limitTotal)]);
    }
  }
  lines.push(table(cpu), '');
  const { latency, throughput, roundTrip } = result.search;
  const { api, relay, direct } = latency.sides;
  lines.push(
    table([
      [`search (${result.search.scale}×, ${api.samples} samples/side)`, 'p50', 'p95', 'p99', 'mean', `req/s @ ${throughput.clients}`],
      ['API', ms(api.p50), ms(api.p95), ms(api.p99), ms(api.mean), int(throughput.api)],
      ['bare Node relay', ms(relay.p50), ms(relay.p95), ms(relay.p99), ms(relay.mean), ''],
      ['direct engine', ms(direct.p50), ms(direct.p95), ms(direct.p99), ms(direct.mean), int(throughput.direct)],
      ['API GET /health', ms(roundTrip.api.p50), ms(roundTrip.api.p95), ms(roundTrip.api.p99), ms(roundTrip.api.mean), ''],
      ['engine GET /health', ms(roundTrip.direct.p50), ms(roundTrip.direct.p95), ms(roundTrip.direct.p99), ms(roundTrip.direct.mean), ''],
    ]),
    '',
    table([
      ['CPU ms per request under load', 'engine', 'API server', 'bench client'],
      ...(['api', 'direct'] as const).map((side) => {
        const used = throughput.cpuMsPerRequest[side];
        return [side === 'api' ? 'through the API' : 'direct to the engine', ms(used.engine ?? 0), ms(used.serve ?? 0), ms(used.bench ?? 0)];
      }),
    ]),
    '',
    table([
      ['query', 'API p50', 'relay p50', 'direct p50', 'API p99', 'direct p99'],
      ...latency.perQuery.map((query) => [query.name, ms(query.p50.api), ms(query.p50.relay), ms(query.p50.direct), ms(query.p99.api), ms(query.p99.direct)]),
    ]),
    '',
    table([
      [`conversation queries (${result.search.conversation.sides.api.samples} samples)`, 'API p50', 'API p95', 'API p99'],
      ['all', ms(result.search.conversation.sides.api.p50), ms(result.search.conversation.sides.api.p95), ms(result.search.conversation.sides.api.p99)],
      ...result.search.conversation.perQuery.map((query) => [query.name, ms(query.p50.api), '', ms(query.p99.api)]),
    ]),
    '',
    table([
      ['export of every turn', 'rows', 'seconds', 'rows/s', 'MB written', 'serve RSS before', 'RSS growth'],
      ...result.search.exports.map((run) => [run.format, int(run.rows), s(run.seconds), int(run.rowsPerSecond), int(run.mb), `${int(run.rssBeforeMb)} MB`, `${run.rssGrowthMb.toFixed(1)} MB`]),
    ]),
    '',
    table([['target', 'wanted', 'measured', ''], ...result.targets.map((check) => [check.name, check.target, check.measured, check.met ? 'met' : 'MISSED'])]),
  );
  return lines.join('\n');
}
