/** Latency summary in milliseconds; percentiles by nearest rank. */
export type Percentiles = { p50: number; p95: number; p99: number; mean: number; samples: number };

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { p50: rank(50), p95: rank(95), p99: rank(99), mean, samples: sorted.length };
}
