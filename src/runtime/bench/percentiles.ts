/** Latency percentiles as the benchmarks report them (ms). */
export interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Nearest-rank percentiles of the values; NaN for none. */
export function percentilesOf(values: ArrayLike<number>): Percentiles {
  if (values.length === 0) return { p50: NaN, p99: NaN, p999: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return { p50: at(50), p99: at(99), p999: at(99.9), max: sorted[sorted.length - 1]! };
}
