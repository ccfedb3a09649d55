import { BadRequestError } from '../errors.js';
import { parseTime } from '../search/params.js';
import { checkDefinition, TrackerStore, type Tracker } from '../trackers/store.js';
import { trackerTrend, type Interval, type TrendBucket } from '../trackers/trend.js';
import { openEngine, trackerEngineUrls } from '../runtime.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { UsageError } from './usage-error.js';

/*
 * `transcript-search trackers`: the operator's view of the trackers (an unscoped admin's): list them
 * with their last week's counts, add and remove one, and draw one's trend in the terminal.
 */

const ACTIONS = ['list', 'add', 'rm', 'trend'] as const;
type Action = (typeof ACTIONS)[number];

const BAR_WIDTH = 40;
const DAY_SECONDS = 86_400;

export const trackersCommand: Command = {
  name: 'trackers',
  forms: [
    { synopsis: 'trackers list [--json]', summary: ['the trackers, with their matching turns of the last 7 days'] },
    {
      synopsis: 'trackers add NAME SEARCH [--webhook URL] [--threshold N]',
      summary: ["save a turn search (the query string of /v1/search/turns: 'q=refund&role=user')", 'as a tracker; prints it with its webhook secret, shown only now'],
    },
    { synopsis: 'trackers rm ID', summary: ['delete a tracker, its match records and deliveries'] },
    { synopsis: 'trackers trend ID [--interval day|week] [--from DATE] [--to DATE] [--json]', summary: ["a tracker's matching turns and sessions per UTC day or week"] },
  ],
  details: `A tracker is evaluated on every session that becomes searchable after it was made (by serve,
sync, import or a push) and, with --webhook, sends the new matches there, signed with its secret
(X-Signature-256). --threshold N marks, and sends a webhook for, a UTC day with more than N matching
sessions. Its trend and matches include everything indexed before it was made.

Exit: 0 done, 1 an unknown tracker id or a failure, 64 a wrong command line.`,
  prepare(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        json: { type: 'boolean', default: false },
        webhook: { type: 'string' },
        threshold: { type: 'string' },
        interval: { type: 'string', default: 'day' },
        from: { type: 'string' },
        to: { type: 'string' },
      },
      { positionals: true },
    );
    const [action, ...rest] = positionals;
    if (!ACTIONS.includes(action as Action)) throw new UsageError(`trackers needs one of ${ACTIONS.join(', ')}${action ? `, got '${action}'` : ''}`);
    const arity: Record<Action, number> = { list: 0, add: 2, rm: 1, trend: 1 };
    if (rest.length !== arity[action as Action]) throw new UsageError(`trackers ${action} takes ${arity[action as Action]} argument(s), got ${rest.length}`);
    const allowed: Record<Action, string[]> = { list: ['json'], add: ['webhook', 'threshold'], rm: [], trend: ['interval', 'from', 'to', 'json'] };
    for (const option of ['webhook', 'threshold', 'from', 'to'] as const) {
      if (values[option] !== undefined && !allowed[action as Action].includes(option)) throw new UsageError(`--${option} is not an option of trackers ${action}`);
    }
    if (values.interval !== 'day' && values.interval !== 'week') throw new UsageError(`--interval must be day or week, got '${values.interval}'`);
    const threshold = values.threshold === undefined ? null : Number(values.threshold);
    if (threshold !== null && !(Number.isInteger(threshold) && threshold >= 1)) throw new UsageError(`--threshold must be a whole number of sessions from 1, got '${values.threshold}'`);
    const window = { from: time('from', values.from), to: time('to', values.to) };

    return async ({ config, io }) => {
      const engine = await openEngine(config);
      try {
        const store = new TrackerStore(engine.client, engine.names);
        const deps = { engine: engine.client, names: engine.names };
        switch (action as Action) {
          case 'list': {
            const trackers = await store.list();
            const now = Math.floor(Date.now() / 1000);
            const rows = [];
            for (const tracker of trackers) {
              const { buckets } = await trackerTrend(deps, tracker, { interval: 'day', from: now - 6 * DAY_SECONDS, to: now }, {});
              rows.push({ tracker: publicView(tracker), turnsLast7Days: buckets.reduce((total, bucket) => total + bucket.turns, 0) });
            }
            if (values.json) io.stdout(`${JSON.stringify({ trackers: rows })}\n`);
            else if (rows.length === 0) io.stdout('No trackers: add one with `trackers add NAME SEARCH`.\n');
            else for (const { tracker, turnsLast7Days } of rows) io.stdout(`${tracker.id}  ${tracker.name}  ${tracker.search}${tracker.webhookUrl ? `  → ${tracker.webhookUrl}` : ''}\n    ${turnsLast7Days} matching turns in the last 7 days\n`);
            return 0;
          }
          case 'add': {
            const [name, search] = rest as [string, string];
            const definition = await checkDefinition({ name, search, webhookUrl: values.webhook ?? null, threshold: threshold === null ? null : { sessionsPerDay: threshold } }, trackerEngineUrls(engine.client, config));
            const tracker = await store.create(definition, {}, 'cli');
            io.stdout(`${JSON.stringify({ ...publicView(tracker), secret: tracker.secret })}\n`);
            return 0;
          }
          case 'rm': {
            const tracker = await store.get(rest[0]!);
            await store.remove(tracker);
            io.stdout(`${JSON.stringify({ id: tracker.id, deleted: true })}\n`);
            return 0;
          }
          case 'trend': {
            const tracker = await store.get(rest[0]!);
            const trend = await trackerTrend(deps, tracker, { interval: values.interval as Interval, ...window }, {});
            io.stdout(values.json ? `${JSON.stringify(trend)}\n` : `${tracker.name} (${tracker.search}), per ${trend.interval}:\n${chart(trend.buckets)}\n`);
            return 0;
          }
        }
      } finally {
        await engine.close();
      }
    };
  },
};

function time(name: 'from' | 'to', value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTime(name, value);
  } catch (error) {
    if (error instanceof BadRequestError) throw new UsageError(`--${name}: ${error.message}`, { cause: error });
    throw error;
  }
}

function publicView(tracker: Tracker): Omit<Tracker, 'secret'> {
  const { secret: _secret, ...rest } = tracker;
  return rest;
}

/** One line per bucket: its day, a bar as long as its share of the busiest, and its counts. */
export function chart(buckets: readonly TrendBucket[]): string {
  if (buckets.length === 0) return '  no matches';
  const most = Math.max(1, ...buckets.map((bucket) => bucket.turns));
  return buckets
    .map((bucket) => {
      const bar = '█'.repeat(Math.round((bucket.turns / most) * BAR_WIDTH));
      return `  ${bucket.start} ${bar.padEnd(BAR_WIDTH)} ${bucket.turns} turns, ${bucket.sessions} sessions${bucket.aboveThreshold ? '  ▲ above threshold' : ''}`;
    })
    .join('\n');
}
