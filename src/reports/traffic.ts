import {
  type Bucket,
  type BucketCounts,
  bucketStart,
  type Dimension,
  emptyCounts,
  type Interval,
  mergeCounts,
} from './bucket.js';
import { HLL_STANDARD_ERROR, HyperLogLog } from './hyperloglog.js';
import { latencyQuantile } from './latency-histogram.js';
import type { RollupStore } from './rollup-store.js';
import {
  type BreakdownRow,
  DEFAULT_K,
  type Figure,
  suppress,
  suppressBreakdown,
} from './suppress.js';

/** What a breakdown can be by, as the API and the command line name it. */
export const BREAKDOWNS = {
  page: 'pages',
  entry: 'entries',
  referrer: 'referrers',
  browser: 'browsers',
  os: 'os',
  device: 'devices',
  country: 'countries',
  region: 'regions',
  status: 'status',
} as const satisfies Record<string, Dimension>;
export type BreakdownBy = keyof typeof BREAKDOWNS;

/** A traffic report's question. */
export interface TrafficQuery {
  /** Inclusive start (rounded down to the interval). Default: 30 days before `to`. */
  from?: Date | string;
  /** Exclusive end (rounded up to the interval). Default: now. */
  to?: Date | string;
  /** The series' grain. Default `'day'`. */
  interval?: Interval;
  /** A breakdown to add. */
  by?: BreakdownBy;
  /** Only this host's traffic. */
  filter?: { host?: string };
  /** Rows of the breakdown before the rest folds into "(other)". Default 50. */
  limit?: number;
}

/** One point of the series. */
export interface TrafficPoint {
  start: string;
  visitors: Figure;
  visits: Figure;
  pageViews: Figure;
  requests: Figure;
}

/** The figures over the whole range. */
export interface TrafficTotals {
  /** Distinct visitor ids (estimated from the sketch) among page views that carried one. */
  visitors: Figure;
  visits: Figure;
  pageViews: Figure;
  requests: Figure;
  bots: Figure;
  bytes: Figure;
  /** Page views that carried a visitor id: visitors and visits rest on these only. */
  pageViewsWithVisitor: Figure;
  /** Page views that kept their nonessential data: referrers rest on these only. */
  pageViewsWithNonessential: Figure;
  /** Response-time percentiles in ms, absent when fewer than k requests. */
  latencyMs: { p50?: number; p90?: number; p99?: number };
}

/** A traffic report: every figure already suppressed below k. */
export interface TrafficReport {
  from: string;
  to: string;
  interval: Interval;
  host?: string;
  /** The small-cell threshold applied. */
  k: number;
  /** Relative standard error of every visitor figure. */
  visitorError: number;
  totals: TrafficTotals;
  series: TrafficPoint[];
  breakdown?: { by: BreakdownBy; rows: BreakdownRow[] };
}

const STEP: Record<Interval, number> = { hour: 3_600_000, day: 86_400_000 };

/** Resolve a query's range to interval-aligned ISO bounds. */
export function resolveRange(
  query: TrafficQuery,
  now = new Date(),
): { from: string; to: string; interval: Interval } {
  const interval = query.interval ?? 'day';
  const step = STEP[interval];
  const toMs = query.to === undefined ? now.getTime() : new Date(query.to).getTime();
  const fromMs = query.from === undefined ? toMs - 30 * 86_400_000 : new Date(query.from).getTime();
  if (Number.isNaN(toMs) || Number.isNaN(fromMs)) throw new RangeError('from and to must be dates');
  if (fromMs >= toMs) throw new RangeError('from must be before to');
  if (!STEP[interval]) throw new RangeError(`interval must be hour or day`);
  return {
    from: bucketStart(fromMs, interval),
    to: new Date(Math.ceil(toMs / step) * step).toISOString(),
    interval,
  };
}

/**
 * Answer a traffic query from the rollups (bring them up to date first). Every figure passes
 * through {@link suppress}; the command line and the dashboard only render this object, so all
 * three show the same numbers.
 */
export async function trafficReport(
  rollups: Pick<RollupStore, 'buckets'>,
  query: TrafficQuery,
  k = DEFAULT_K,
  now = new Date(),
): Promise<TrafficReport> {
  const { from, to, interval } = resolveRange(query, now);
  const host = query.filter?.host;
  const buckets = await rollups.buckets(interval, from, to, host);
  const byStart = new Map<string, { counts: BucketCounts; visitors: HyperLogLog }>();
  const totals = emptyCounts();
  const visitors = new HyperLogLog();
  for (const bucket of buckets) {
    let point = byStart.get(bucket.start);
    if (point === undefined) {
      point = { counts: emptyCounts(), visitors: new HyperLogLog() };
      byStart.set(bucket.start, point);
    }
    addBucket(point, bucket);
    mergeCounts(totals, bucket.counts);
    visitors.merge(bucket.visitors);
  }
  const series: TrafficPoint[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += STEP[interval]) {
    const start = new Date(t).toISOString();
    const point = byStart.get(start);
    series.push({
      start,
      visitors: suppress(point?.visitors.estimate() ?? 0, k),
      visits: suppress(point?.counts.visits ?? 0, k),
      pageViews: suppress(point?.counts.pageViews ?? 0, k),
      requests: suppress(point?.counts.requests ?? 0, k),
    });
  }
  const report: TrafficReport = {
    from,
    to,
    interval,
    k,
    visitorError: HLL_STANDARD_ERROR,
    totals: totalsOf(totals, visitors.estimate(), k),
    series,
  };
  if (host !== undefined) report.host = host;
  if (query.by !== undefined) {
    const dimension = BREAKDOWNS[query.by];
    if (dimension === undefined) throw new RangeError(`unknown breakdown: ${String(query.by)}`);
    report.breakdown = {
      by: query.by,
      rows: suppressBreakdown(totals[dimension], k, query.limit ?? 50),
    };
  }
  return report;
}

function addBucket(point: { counts: BucketCounts; visitors: HyperLogLog }, bucket: Bucket): void {
  mergeCounts(point.counts, bucket.counts);
  point.visitors.merge(bucket.visitors);
}

function totalsOf(c: BucketCounts, visitors: number, k: number): TrafficTotals {
  const latencyMs: TrafficTotals['latencyMs'] = {};
  // A percentile of a few requests would tell one person's timing.
  if (c.requests >= k) {
    for (const [name, q] of [
      ['p50', 0.5],
      ['p90', 0.9],
      ['p99', 0.99],
    ] as const) {
      const value = latencyQuantile(c.latency, q);
      if (value !== undefined) latencyMs[name] = value;
    }
  }
  return {
    visitors: suppress(visitors, k),
    visits: suppress(c.visits, k),
    pageViews: suppress(c.pageViews, k),
    requests: suppress(c.requests, k),
    bots: suppress(c.bots, k),
    bytes: c.requests < k ? suppress(c.requests, k) : c.bytes,
    pageViewsWithVisitor: suppress(c.pageViewsWithVisitor, k),
    pageViewsWithNonessential: suppress(c.pageViewsWithNonessential, k),
    latencyMs,
  };
}
