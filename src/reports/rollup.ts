import type { AccessRecord } from '../record.js';
import { type Bucket, bucketStart, countMap, emptyCounts, MAX_KEYS, OTHER } from './bucket.js';
import { factOf, isPageViewFact, type RollupFact } from './facts.js';
import { HyperLogLog } from './hyperloglog.js';
import { latencyBin } from './latency-histogram.js';

/** A visit: a visitor's page views within one fixed half-hour slot (UTC). */
export const VISIT_SLOT_MS = 30 * 60_000;
/** Longest page key kept: a route template or an already minimised path. */
const MAX_KEY_LENGTH = 200;
/** The key under which records without a `host` are counted. */
export const NO_HOST = '(none)';
/** Hosts counted one by one per hour; more (forged Host headers) fold into {@link OTHER}. */
const MAX_HOSTS = 50;
const HOUR = 3_600_000;

/** Whether a request is a page view; see {@link isPageViewFact}. */
export function isPageView(record: AccessRecord): boolean {
  return isPageViewFact(factOf(record));
}

/** The status class of a code: `2xx` to `5xx`, anything else `other`. */
export function statusClass(status: number): string {
  return status >= 100 && status <= 599 ? STATUS_CLASSES[Math.floor(status / 100)]! : 'other';
}
const STATUS_CLASSES = ['', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** What a page view is counted under: its route template, else its minimised path. */
export function pageKey(record: AccessRecord): string {
  return (record.essential.route ?? record.essential.path).slice(0, MAX_KEY_LENGTH);
}

/**
 * A referrer reduced to its origin: `(direct)` when none was sent, `(internal)` when it is the site
 * itself, `(invalid)` when it is not an http(s) URL. Never a path, query or fragment.
 */
export function referrerKey(referrer: string | undefined, host: string | undefined): string {
  if (referrer === undefined || referrer === '') return '(direct)';
  let url: URL;
  try {
    url = new URL(referrer);
  } catch {
    return '(invalid)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '(invalid)';
  if (host !== undefined && url.host === host) return '(internal)';
  return url.origin.slice(0, MAX_KEY_LENGTH);
}

/**
 * Roll records up into hourly buckets, one per host and hour. `records` must be oldest first (as
 * every store's `read` gives them), so that a visit's entry page is its first page view.
 */
export function rollupHours(records: Iterable<AccessRecord>): Bucket[] {
  const rollup = new HourRollup();
  for (const record of records) rollup.add(factOf(record));
  return rollup.buckets();
}

/**
 * Hourly buckets built one fact at a time, oldest first. Bots only add to `bots`. A bucket holds
 * counts keyed by route templates, minimised paths, origins and enrichment names: no record id, no
 * address, no visitor id (those only feed the sketch and, while the run lasts, the visit count).
 * Breakdowns count into `Map`s while the run lasts (the hot loop) and become plain maps at the end.
 */
export class HourRollup {
  readonly #hours = new Map<number, Map<string, Tally>>();
  #hour = Number.NaN;
  #hosts: Map<string, Tally> | undefined;
  /** Facts counted (bots included); a fact without a valid time is skipped. */
  count = 0;

  add(f: RollupFact): void {
    const time = f.time;
    if (Number.isNaN(time)) return;
    this.count++;
    const hour = Math.floor(time / HOUR);
    if (hour !== this.#hour || this.#hosts === undefined) {
      this.#hour = hour;
      this.#hosts = this.#hours.get(hour);
      if (this.#hosts === undefined) {
        this.#hosts = new Map();
        this.#hours.set(hour, this.#hosts);
      }
    }
    tallyFor(this.#hosts, f.host || NO_HOST).add(f, time);
  }

  /** The buckets counted so far, oldest first. */
  buckets(): Bucket[] {
    const out: Bucket[] = [];
    for (const [hour, hosts] of [...this.#hours].sort((a, b) => a[0] - b[0])) {
      const start = bucketStart(hour * HOUR, 'hour');
      for (const [host, tally] of hosts) out.push(tally.bucket(host, start));
    }
    return out;
  }
}

function tallyFor(hosts: Map<string, Tally>, host: string): Tally {
  let tally = hosts.get(host);
  if (tally !== undefined) return tally;
  const key = hosts.size >= MAX_HOSTS ? OTHER : host;
  tally = hosts.get(key);
  if (tally === undefined) {
    tally = new Tally();
    hosts.set(key, tally);
  }
  return tally;
}

/** One host's hour while it is being counted. */
class Tally {
  readonly counts = emptyCounts();
  readonly visitors = new HyperLogLog();
  readonly pages = new Map<string, number>();
  readonly entries = new Map<string, number>();
  readonly referrers = new Map<string, number>();
  readonly browsers = new Map<string, number>();
  readonly os = new Map<string, number>();
  readonly devices = new Map<string, number>();
  readonly countries = new Map<string, number>();
  readonly regions = new Map<string, number>();
  readonly status = new Map<string, number>();
  readonly latency = new Map<number, number>();
  /** Visitors seen in the hour's two half-hour slots: their first page view there is a visit. */
  readonly #slots = [new Set<string>(), new Set<string>()] as const;

  add(f: RollupFact, time: number): void {
    const c = this.counts;
    if (f.bot) {
      c.bots++;
      return;
    }
    c.requests++;
    const bytes = f.bytes;
    if (typeof bytes === 'number' && bytes > 0 && bytes < Number.POSITIVE_INFINITY)
      c.bytes += bytes;
    inc(this.status, statusClass(f.status));
    const bin = latencyBin(f.durationMs);
    this.latency.set(bin, (this.latency.get(bin) ?? 0) + 1);
    if (!isPageViewFact(f)) return;
    c.pageViews++;
    const page = f.page.length > MAX_KEY_LENGTH ? f.page.slice(0, MAX_KEY_LENGTH) : f.page;
    inc(this.pages, page);
    inc(this.browsers, f.browser || 'unknown');
    inc(this.os, f.os || 'unknown');
    inc(this.devices, f.device || 'unknown');
    inc(this.countries, f.country || 'unknown');
    if (f.country && f.region) inc(this.regions, `${f.country}-${f.region}`);
    if (!f.nonessential) return;
    c.pageViewsWithNonessential++;
    inc(this.referrers, cachedReferrerKey(f.referrer, f.host));
    const visitor = f.visitor;
    if (visitor === undefined || visitor === '') return;
    c.pageViewsWithVisitor++;
    this.visitors.add(visitor);
    const slot = this.#slots[(Math.floor(time / VISIT_SLOT_MS) & 1) as 0 | 1];
    if (slot.has(visitor)) return;
    slot.add(visitor);
    c.visits++;
    inc(this.entries, page);
  }

  bucket(host: string, start: string): Bucket {
    const c = this.counts;
    c.pages = record(this.pages);
    c.entries = record(this.entries);
    c.referrers = record(this.referrers);
    c.browsers = record(this.browsers);
    c.os = record(this.os);
    c.devices = record(this.devices);
    c.countries = record(this.countries);
    c.regions = record(this.regions);
    c.status = record(this.status);
    c.latency = record(this.latency);
    return { host, interval: 'hour', start, counts: c, visitors: this.visitors };
  }
}

/**
 * Add one under `key`, folding the key into {@link OTHER} once the map holds {@link MAX_KEYS}
 * keys, as `bump` does for stored buckets, so a flood of distinct paths cannot grow a bucket.
 */
function inc(map: Map<string, number>, key: string): void {
  const count = map.get(key);
  if (count !== undefined) map.set(key, count + 1);
  else if (map.size >= MAX_KEYS) map.set(OTHER, (map.get(OTHER) ?? 0) + 1);
  else map.set(key, 1);
}

function record(map: Map<string | number, number>): Record<string, number> {
  const out = countMap();
  for (const [key, count] of map) out[key] = count;
  return out;
}

/** Parsing a URL per record costs more than the rest of its rollup: the same few repeat. */
const referrerCache = new Map<string, string>();
const REFERRER_CACHE_SIZE = 2000;

function cachedReferrerKey(referrer: string | undefined, host: string | undefined): string {
  if (referrer === undefined || referrer === '') return '(direct)';
  const id = `${host ?? ''} ${referrer}`;
  let key = referrerCache.get(id);
  if (key === undefined) {
    key = referrerKey(referrer, host);
    if (referrerCache.size >= REFERRER_CACHE_SIZE) referrerCache.clear();
    referrerCache.set(id, key);
  }
  return key;
}

/** Keys kept per breakdown; exported for tests of the cap. */
export const ROLLUP_LIMITS = {
  maxKeys: MAX_KEYS,
  maxHosts: MAX_HOSTS,
  maxKeyLength: MAX_KEY_LENGTH,
};
