// The figures of the outage benchmark (bench/outage.js) from the load's samples: triples of when
// a request was sent (ms since the Unix epoch), its latency in ms (NaN for a failure) and how late
// the client sent it (ms), as bench/outage-load.js writes them.

/**
 * The nearest-rank percentile `q` (0 to 1) of a sorted list: the smallest value that at least a
 * share `q` of the list does not exceed; NaN for an empty list.
 */
export function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** p50, p99 and max of the answered requests among `samples` (triples, see outage-load.js). */
export function latency(samples, from = 0, to = Number.POSITIVE_INFINITY) {
  const values = [];
  let failed = 0;
  const lag = [];
  for (let k = 0; k < samples.length; k += 3) {
    if (samples[k] < from || samples[k] >= to) continue;
    if (Number.isNaN(samples[k + 1])) failed++;
    else values.push(samples[k + 1]);
    lag.push(samples[k + 2]);
  }
  values.sort((a, b) => a - b);
  lag.sort((a, b) => a - b);
  return {
    requests: values.length + failed,
    failed,
    p50Ms: percentile(values, 0.5),
    p99Ms: percentile(values, 0.99),
    maxMs: values.length === 0 ? Number.NaN : values[values.length - 1],
    clientLagP99Ms: percentile(lag, 0.99),
  };
}

/** Per second of the measured part: requests, p99 and max latency (to see when a slow spell fell). */
export function timeline(samples, from) {
  const seconds = [];
  for (let k = 0; k < samples.length; k += 3) {
    const second = Math.floor((samples[k] - from) / 1000);
    while (seconds.length <= second) seconds.push([]);
    seconds[second].push(samples[k + 1]);
  }
  return seconds.map((list, second) => {
    const ok = list.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    return {
      second,
      requests: list.length,
      failed: list.length - ok.length,
      p99Ms: percentile(ok, 0.99),
      maxMs: ok[ok.length - 1],
    };
  });
}
