import { HyperLogLog } from './hyperloglog.js';
import { type LatencyHistogram, mergeLatency } from './latency-histogram.js';

/** The time grains rollups are kept at. */
export type Interval = 'hour' | 'day';

/** The breakdowns a bucket keeps, each a map from a key to a count. */
export const DIMENSIONS = [
  'pages',
  'entries',
  'referrers',
  'browsers',
  'os',
  'devices',
  'countries',
  'regions',
  'status',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** The key that collects what a capped breakdown no longer lists one by one. */
export const OTHER = '(other)';
/** Distinct keys a breakdown keeps per bucket; the rest is counted under {@link OTHER}. */
export const MAX_KEYS = 1000;

/**
 * The additive figures of one bucket. Every count but `bots` leaves bots out. Figures resting on
 * nonessential data come only from page views that carried it, counted beside them.
 */
export interface BucketCounts {
  /** Requests by people (bots excluded). */
  requests: number;
  /** Requests by bots, counted apart and in no other figure. */
  bots: number;
  /** Page views: successful GET requests for a page (not an asset), bots excluded. */
  pageViews: number;
  /** Response bytes of the requests. */
  bytes: number;
  /** Visits: a visitor's page views in one half-hour slot count as one visit. */
  visits: number;
  /** Page views that carried a visitor id (uniques and visits rest on these). */
  pageViewsWithVisitor: number;
  /** Page views whose nonessential category was kept (referrers rest on these). */
  pageViewsWithNonessential: number;
  pages: Record<string, number>;
  entries: Record<string, number>;
  referrers: Record<string, number>;
  browsers: Record<string, number>;
  os: Record<string, number>;
  devices: Record<string, number>;
  countries: Record<string, number>;
  regions: Record<string, number>;
  /** Requests by status class: `2xx`, `3xx`, `4xx`, `5xx`, `other`. */
  status: Record<string, number>;
  /** Response times of the requests. */
  latency: LatencyHistogram;
}

/** One rollup bucket: a host's figures over an hour or a day. */
export interface Bucket {
  host: string;
  interval: Interval;
  /** ISO time the bucket starts at (UTC hour or day). */
  start: string;
  counts: BucketCounts;
  /** Sketch of the visitor ids behind `pageViewsWithVisitor`. */
  visitors: HyperLogLog;
}

/** A bucket with nothing counted yet. */
export function emptyCounts(): BucketCounts {
  return {
    requests: 0,
    bots: 0,
    pageViews: 0,
    bytes: 0,
    visits: 0,
    pageViewsWithVisitor: 0,
    pageViewsWithNonessential: 0,
    pages: countMap(),
    entries: countMap(),
    referrers: countMap(),
    browsers: countMap(),
    os: countMap(),
    devices: countMap(),
    countries: countMap(),
    regions: countMap(),
    status: countMap(),
    latency: countMap(),
  };
}

/** A map without a prototype: keys come from requests, and `__proto__` must stay a plain key. */
export function countMap(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/**
 * Add `count` under `key`, folding the key into {@link OTHER} once the map holds
 * {@link MAX_KEYS} keys, so a flood of distinct paths cannot grow a bucket without bound.
 */
export function bump(map: Record<string, number>, key: string, count = 1): void {
  if (Object.hasOwn(map, key)) {
    map[key]! += count;
    return;
  }
  // Counting keys on every new key would be quadratic; the size is remembered per map instead.
  const size = keyCounts.get(map) ?? Object.keys(map).length;
  if (size >= MAX_KEYS) {
    if (!Object.hasOwn(map, OTHER)) keyCounts.set(map, size + 1);
    map[OTHER] = (map[OTHER] ?? 0) + count;
    return;
  }
  keyCounts.set(map, size + 1);
  map[key] = count;
}

/** How many keys each breakdown map holds, kept by {@link bump}. */
const keyCounts = new WeakMap<Record<string, number>, number>();

/** Add every figure of `from` into `into`. */
export function mergeCounts(into: BucketCounts, from: BucketCounts): BucketCounts {
  into.requests += from.requests;
  into.bots += from.bots;
  into.pageViews += from.pageViews;
  into.bytes += from.bytes;
  into.visits += from.visits;
  into.pageViewsWithVisitor += from.pageViewsWithVisitor;
  into.pageViewsWithNonessential += from.pageViewsWithNonessential;
  for (const dimension of DIMENSIONS) {
    for (const [key, count] of Object.entries(from[dimension])) bump(into[dimension], key, count);
  }
  mergeLatency(into.latency, from.latency);
  return into;
}

/** The UTC start of the hour or day `time` falls in, as an ISO string. */
export function bucketStart(time: string | number, interval: Interval): string {
  const ms = typeof time === 'number' ? time : Date.parse(time);
  const size = interval === 'hour' ? 3_600_000 : 86_400_000;
  return new Date(Math.floor(ms / size) * size).toISOString();
}

/** Parse the JSON form of counts written by a rollup store; null-prototype maps, checked numbers. */
export function countsFromJson(text: string): BucketCounts {
  const parsed = JSON.parse(text) as Partial<BucketCounts>;
  const counts = emptyCounts();
  for (const key of [
    'requests',
    'bots',
    'pageViews',
    'bytes',
    'visits',
    'pageViewsWithVisitor',
    'pageViewsWithNonessential',
  ] as const) {
    const value = parsed[key];
    if (typeof value === 'number' && Number.isFinite(value)) counts[key] = value;
  }
  for (const dimension of [...DIMENSIONS, 'latency'] as const) {
    const map = parsed[dimension];
    if (map === null || typeof map !== 'object') continue;
    for (const [key, value] of Object.entries(map)) {
      if (typeof value === 'number' && Number.isFinite(value)) counts[dimension][key] = value;
    }
  }
  return counts;
}

/** Day buckets summing the given hour buckets, one per host and day. */
export function daysOf(hours: readonly Bucket[]): Bucket[] {
  const days = new Map<string, Bucket>();
  for (const hour of hours) {
    const start = bucketStart(hour.start, 'day');
    const id = `${hour.host}\n${start}`;
    let day = days.get(id);
    if (day === undefined) {
      day = emptyBucket(hour.host, 'day', start);
      days.set(id, day);
    }
    mergeBucket(day, hour);
  }
  return [...days.values()];
}

/** A bucket with nothing counted, its sketch empty. */
export function emptyBucket(host: string, interval: Interval, start: string): Bucket {
  return { host, interval, start, counts: emptyCounts(), visitors: new HyperLogLog() };
}

/** Add the figures and the sketch of `from` into `into`. */
export function mergeBucket(into: Bucket, from: Bucket): void {
  mergeCounts(into.counts, from.counts);
  into.visitors.merge(from.visitors);
}
