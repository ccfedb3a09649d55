import { performance } from 'node:perf_hooks';
import type { BenchQuery } from './queries.js';
import { percentiles, type Percentiles } from './stats.js';

/**
 * One query at a time, the sides interleaved query by query (rotating which goes first), so every
 * side sees the same machine load and the same engine caches.
 */
export type Side = (query: BenchQuery) => Promise<void>;

export type LatencyResult<S extends string> = {
  sides: Record<S, Percentiles>;
  perQuery: Array<{ name: string; p50: Record<S, number>; p99: Record<S, number> }>;
};

export async function measureLatency<S extends string>(
  queries: BenchQuery[],
  sides: Record<S, Side>,
  options: { rounds: number; warmupRounds: number },
): Promise<LatencyResult<S>> {
  const names = Object.keys(sides) as S[];
  const samples = new Map(names.map((side) => [side, new Map<string, number[]>(queries.map((query) => [query.name, []]))]));
  for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
    const measured = round >= options.warmupRounds;
    for (const [i, query] of queries.entries()) {
      for (let k = 0; k < names.length; k++) {
        const side = names[(round + i + k) % names.length]!;
        const started = performance.now();
        await sides[side](query);
        const elapsed = performance.now() - started;
        if (measured) samples.get(side)!.get(query.name)!.push(elapsed);
      }
    }
  }
  const bySide = <T>(value: (side: S) => T) => Object.fromEntries(names.map((side) => [side, value(side)])) as Record<S, T>;
  return {
    sides: bySide((side) => percentiles([...samples.get(side)!.values()].flat())),
    perQuery: queries.map((query) => {
      const each = bySide((side) => percentiles(samples.get(side)!.get(query.name)!));
      return { name: query.name, p50: bySide((side) => each[side].p50), p99: bySide((side) => each[side].p99) };
    }),
  };
}
