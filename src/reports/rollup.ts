import type { AccessRecord } from '../record.js';
import { type Bucket, bucketStart, bump, emptyCounts, MAX_KEYS, OTHER } from './bucket.js';
import { HyperLogLog } from './hyperloglog.js';
import { addLatency } from './latency-histogram.js';

/** A visit: a visitor's page views within one fixed half-hour slot (UTC). */
export const VISIT_SLOT_MS = 30 * 60_000;
/** Longest page key kept: a route template or an already minimised path. */
const MAX_KEY_LENGTH = 200;
/** The key under which records without a `host` are counted. */
export const NO_HOST = '(none)';
/** Hosts counted one by one per hour; more (forged Host headers) fold into {@link OTHER}. */
const MAX_HOSTS = 50;

/** Extensions of a last path segment that still name a page rather than an asset. */
const PAGE_EXTENSIONS = new Set(['html', 'htm', 'php', 'asp', 'aspx', 'jsp', 'cfm', 'shtml']);

/**
 * Whether a request is a page view: a person's (not a bot's) complete, successful GET of a path
 * whose last segment has no file extension, or a page one (`.html`, `.php`...). Assets, API
 * errors, redirects and aborted requests are requests, not page views.
 */
export function isPageView(record: AccessRecord): boolean {
  const e = record.essential;
  if (e.bot === true || e.aborted === true || e.method !== 'GET') return false;
  if (e.status < 200 || e.status > 299) return false;
  const path = e.route ?? e.path;
  const last = path.slice(path.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  if (dot <= 0) return true;
  return PAGE_EXTENSIONS.has(last.slice(dot + 1).toLowerCase());
}

/** The status class of a code: `2xx` to `5xx`, anything else `other`. */
export function statusClass(status: number): string {
  return status >= 100 && status <= 599 ? `${Math.floor(status / 100)}xx` : 'other';
}

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
 * every store's `read` gives them), so that a visit's entry page is its first page view. Bots only
 * add to `bots`. A bucket holds counts keyed by route templates, minimised paths, origins and
 * enrichment names: no record id, no address, no visitor id (those only feed the sketch).
 */
export function rollupHours(records: Iterable<AccessRecord>): Bucket[] {
  const buckets = new Map<string, Bucket>();
  const visits = new Map<string, Set<string>>();
  const hostsPerHour = new Map<string, Set<string>>();
  // Records come oldest first: the hour's ISO start is made once per hour, not once per record.
  let hour = Number.NaN;
  let start = '';
  for (const record of records) {
    const time = Date.parse(record.time);
    if (Number.isNaN(time)) continue;
    const thisHour = Math.floor(time / 3_600_000);
    if (thisHour !== hour) {
      hour = thisHour;
      start = bucketStart(time, 'hour');
    }
    const host = hostOf(record, start, hostsPerHour);
    const id = `${host}\n${start}`;
    let bucket = buckets.get(id);
    if (bucket === undefined) {
      bucket = {
        host,
        interval: 'hour',
        start,
        counts: emptyCounts(),
        visitors: new HyperLogLog(),
      };
      buckets.set(id, bucket);
      visits.set(id, new Set());
    }
    add(bucket, record, time, visits.get(id)!);
  }
  return [...buckets.values()];
}

function hostOf(
  record: AccessRecord,
  start: string,
  hostsPerHour: Map<string, Set<string>>,
): string {
  const host = record.essential.host || NO_HOST;
  let hosts = hostsPerHour.get(start);
  if (hosts === undefined) {
    hosts = new Set();
    hostsPerHour.set(start, hosts);
  }
  if (hosts.has(host)) return host;
  if (hosts.size >= MAX_HOSTS) return OTHER;
  hosts.add(host);
  return host;
}

function add(bucket: Bucket, record: AccessRecord, time: number, visits: Set<string>): void {
  const c = bucket.counts;
  const e = record.essential;
  if (e.bot === true) {
    c.bots++;
    return;
  }
  c.requests++;
  if (typeof e.bytes === 'number' && Number.isFinite(e.bytes) && e.bytes > 0) c.bytes += e.bytes;
  bump(c.status, statusClass(e.status));
  addLatency(c.latency, e.durationMs);
  if (!isPageView(record)) return;
  c.pageViews++;
  const page = pageKey(record);
  bump(c.pages, page);
  bump(c.browsers, e.browser?.name || 'unknown');
  bump(c.os, e.os?.name || 'unknown');
  bump(c.devices, e.device || 'unknown');
  const geo = record.client?.geo;
  bump(c.countries, geo?.country || 'unknown');
  if (geo?.country && geo.region) bump(c.regions, `${geo.country}-${geo.region}`);
  const nonessential = record.nonessential;
  if (nonessential === undefined) return;
  c.pageViewsWithNonessential++;
  bump(c.referrers, cachedReferrerKey(nonessential.referrer, e.host));
  const visitor = nonessential.visitorId;
  if (visitor === undefined || visitor === '') return;
  c.pageViewsWithVisitor++;
  bucket.visitors.add(visitor);
  const visit = `${visitor}\n${Math.floor(time / VISIT_SLOT_MS)}`;
  if (visits.has(visit)) return;
  visits.add(visit);
  c.visits++;
  bump(c.entries, page);
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
