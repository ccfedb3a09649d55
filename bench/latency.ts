import { performance } from 'node:perf_hooks';
import type { BenchQuery } from './queries.js';
import { percentiles, type Percentiles } from './stats.js';

/**
 * One query at a time, API and direct interleaved query by query (alternating which goes first), so
 * both sides see the same machine load and the same engine caches.
 */
export type Side = (query: BenchQuery) => Promise<void>;

export type LatencyResult = {
  api: Percentiles;
  direct: Percentiles;
  perQuery: Array<{ name: string; apiP50: number; directP50: number; apiP99: number; directP99: number }>;
};

export async function measureLatency(queries: BenchQuery[], api: Side, direct: Side, options: { rounds: number; warmupRounds: number }): Promise<LatencyResult> {
  const apiSamples = new Map<string, number[]>(queries.map((query) => [query.name, []]));
  const directSamples = new Map<string, number[]>(queries.map((query) => [query.name, []]));
  const time = async (side: Side, query: BenchQuery) => {
    const started = performance.now();
    await side(query);
    return performance.now() - started;
  };
  for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
    const measured = round >= options.warmupRounds;
    for (const [i, query] of queries.entries()) {
      const apiFirst = (round + i) % 2 === 0;
      const first = await time(apiFirst ? api : direct, query);
      const second = await time(apiFirst ? direct : api, query);
      if (!measured) continue;
      apiSamples.get(query.name)!.push(apiFirst ? first : second);
      directSamples.get(query.name)!.push(apiFirst ? second : first);
    }
  }
  return {
    api: percentiles([...apiSamples.values()].flat()),
    direct: percentiles([...directSamples.values()].flat()),
    perQuery: queries.map((query) => {
      const a = percentiles(apiSamples.get(query.name)!);
      const d = percentiles(directSamples.get(query.name)!);
      return { name: query.name, apiP50: a.p50, directP50: d.p50, apiP99: a.p99, directP99: d.p99 };
    }),
  };
}
