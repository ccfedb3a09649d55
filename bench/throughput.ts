import { performance } from 'node:perf_hooks';
import type { Side } from './latency.js';
import { cpuMeter } from './process-usage.js';
import type { BenchQuery } from './queries.js';

/**
 * Closed-loop load: `clients` workers each send the query mix back to back (each starting at a
 * different query) for the given time. API and direct alternate in two halves each, so a burst of
 * outside load is shared rather than landing on one side. CPU milliseconds per request of each
 * process show where the cores went.
 */
export type ThroughputResult = {
  api: number;
  direct: number;
  ratio: number;
  clients: number;
  seconds: number;
  cpuMsPerRequest: { api: Record<string, number>; direct: Record<string, number> };
};

async function closedLoop(side: Side, queries: BenchQuery[], clients: number, seconds: number): Promise<{ requests: number; elapsed: number }> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let requests = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let next = client; performance.now() < deadline; next++) {
        await side(queries[next % queries.length]!);
        requests++;
      }
    }),
  );
  return { requests, elapsed: (performance.now() - started) / 1000 };
}

export async function measureThroughput(
  queries: BenchQuery[],
  api: Side,
  direct: Side,
  options: { clients: number; seconds: number; pids: Record<string, number> },
): Promise<ThroughputResult> {
  const half = options.seconds / 2;
  const totals = {
    api: { requests: 0, elapsed: 0, cpu: {} as Record<string, number> },
    direct: { requests: 0, elapsed: 0, cpu: {} as Record<string, number> },
  };
  for (const [name, side] of [['api', api], ['direct', direct], ['api', api], ['direct', direct]] as const) {
    const cpu = cpuMeter(options.pids);
    const { requests, elapsed } = await closedLoop(side, queries, options.clients, half);
    const total = totals[name];
    total.requests += requests;
    total.elapsed += elapsed;
    for (const [process, seconds] of Object.entries(cpu())) total.cpu[process] = (total.cpu[process] ?? 0) + seconds;
  }
  const perRequest = (total: (typeof totals)['api']) =>
    Object.fromEntries(Object.entries(total.cpu).map(([process, seconds]) => [process, (seconds * 1000) / total.requests]));
  const apiRps = totals.api.requests / totals.api.elapsed;
  const directRps = totals.direct.requests / totals.direct.elapsed;
  return {
    api: apiRps,
    direct: directRps,
    ratio: apiRps / directRps,
    clients: options.clients,
    seconds: options.seconds,
    cpuMsPerRequest: { api: perRequest(totals.api), direct: perRequest(totals.direct) },
  };
}
