import { parseArgs } from 'node:util';

/** What one `npm run bench` measures; every flag is optional and documents its default. */
export type BenchOptions = {
  /** Replicas of the corpus, each with fresh session ids. Default 1; with N > 1, 1× is measured too. */
  scale: number;
  /** Corpus sessions to use (the first N of the file), for a quick run. Default: all. */
  sessions: number;
  /** Measured latency rounds over the query set, after `warmupRounds`. Default 30. */
  rounds: number;
  /** Unmeasured rounds first, so caches and connections are warm. Default 3. */
  warmupRounds: number;
  /** Seconds of load per side in the throughput phase. Default 10. */
  throughputSeconds: number;
  /** Concurrent clients in the throughput phase. Default 32. */
  clients: number;
  /** SOURCE_CONCURRENCY of the sync: a local upstream allows more than a vendor would. Default 16. */
  sourceConcurrency: number;
};

const USAGE = `Usage: npm run bench -- [--scale N] [--sessions N] [--rounds N] [--warmup N] [--seconds N] [--clients N] [--source-concurrency N]`;

/** An option's whole number from 1 up, or `fallback` when it is not given; `usage` ends the refusal. */
export function positiveInteger(name: string, text: string | undefined, fallback: number, usage = USAGE): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`Expected --${name} to be a whole number from 1 and up, got '${text}'\n${usage}`);
  return value;
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: 'string' },
      sessions: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      seconds: { type: 'string' },
      clients: { type: 'string' },
      'source-concurrency': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    scale: positiveInteger('scale', values.scale, 1),
    sessions: positiveInteger('sessions', values.sessions, Number.MAX_SAFE_INTEGER),
    rounds: positiveInteger('rounds', values.rounds, 30),
    warmupRounds: values.warmup === '0' ? 0 : positiveInteger('warmup', values.warmup, 3),
    throughputSeconds: positiveInteger('seconds', values.seconds, 10),
    clients: positiveInteger('clients', values.clients, 32),
    sourceConcurrency: positiveInteger('source-concurrency', values['source-concurrency'], 16),
  };
}
