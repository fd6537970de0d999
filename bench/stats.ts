/** Small statistics for the bench: percentiles and rounding. */

/** The p-th percentile (0-100, nearest rank) of the samples; NaN when there are none. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** p50 and p95 of the samples, in whole units. */
export function summarize(samples: number[]): { n: number; p50: number; p95: number } {
  return { n: samples.length, p50: round(percentile(samples, 50), 1), p95: round(percentile(samples, 95), 1) };
}
