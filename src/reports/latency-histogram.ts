/**
 * Response times in a fixed log-scale histogram: bin `i` holds durations in
 * [GROWTH^(i-1), GROWTH^i) ms, bin 0 everything below 1 ms. Histograms merge by adding bins, so an
 * hour's, a day's and a month's percentiles come from the same counts. A percentile is reported as
 * its bin's upper edge, at most 2 % above the true value (plus 1 ms for the first bin).
 */
export const LATENCY_GROWTH = 1.02;
const LOG_GROWTH = Math.log(LATENCY_GROWTH);
/** Bins above about 8.6 minutes fold into the last one. */
const MAX_BIN = 1200;

/** Sparse bins: index (as a string key, for JSON) to count. */
export type LatencyHistogram = Record<string, number>;

/** The bin a duration in ms falls in. */
export function latencyBin(durationMs: number): number {
  if (!(durationMs >= 1)) return 0;
  return Math.min(MAX_BIN, Math.floor(Math.log(durationMs) / LOG_GROWTH) + 1);
}

/** The upper edge of a bin in ms. */
export function binUpperEdge(bin: number): number {
  return LATENCY_GROWTH ** bin;
}

/** Count one duration. */
export function addLatency(histogram: LatencyHistogram, durationMs: number): void {
  const key = String(latencyBin(durationMs));
  histogram[key] = (histogram[key] ?? 0) + 1;
}

/** Add every bin of `from` into `into`. */
export function mergeLatency(into: LatencyHistogram, from: LatencyHistogram): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

/**
 * The `q` quantile (0 to 1) in ms, rounded to 0.1 ms, or undefined for an empty histogram: the
 * upper edge of the bin where the cumulative count first reaches `q` of the total.
 */
export function latencyQuantile(histogram: LatencyHistogram, q: number): number | undefined {
  const bins = Object.entries(histogram)
    .map(([key, count]) => [Number(key), count] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = bins.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [bin, count] of bins) {
    seen += count;
    if (seen >= rank) return Math.round(binUpperEdge(bin) * 10) / 10;
  }
  return undefined;
}
