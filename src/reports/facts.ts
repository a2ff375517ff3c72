import type { AccessRecord } from '../record.js';

/**
 * What a rollup reads from one record, and nothing else: a flat object of the same shape for every
 * record, so the rollup loop stays monomorphic, and so a store can hand these fields over without
 * building whole records (PostgreSQL extracts them from its `jsonb` column). No record id, no
 * address: the visitor id only ever reaches the sketch and the visit count.
 */
export interface RollupFact {
  /** The record's time, epoch ms. */
  time: number;
  host: string | undefined;
  method: string;
  status: number;
  /** The route template, else the minimised path. */
  page: string;
  durationMs: number;
  bytes: number | undefined;
  bot: boolean;
  aborted: boolean;
  browser: string | undefined;
  os: string | undefined;
  device: string | undefined;
  country: string | undefined;
  region: string | undefined;
  /** Whether the record kept its nonessential category (referrers, visitors and visits rest on it). */
  nonessential: boolean;
  referrer: string | undefined;
  visitor: string | undefined;
}

/** The facts of a stored record; a record whose time does not parse gives NaN and is skipped. */
export function factOf(record: AccessRecord): RollupFact {
  const e = record.essential;
  const geo = record.client?.geo;
  const n = record.nonessential;
  return {
    time: Date.parse(record.time),
    host: e.host,
    method: e.method,
    status: e.status,
    page: e.route ?? e.path,
    durationMs: e.durationMs,
    bytes: e.bytes,
    bot: e.bot === true,
    aborted: e.aborted === true,
    browser: e.browser?.name,
    os: e.os?.name,
    device: e.device,
    country: geo?.country,
    region: geo?.region,
    nonessential: n !== undefined,
    referrer: n?.referrer,
    visitor: n?.visitorId,
  };
}

/** Extensions of a last path segment that still name a page rather than an asset. */
const PAGE_EXTENSIONS = new Set(['html', 'htm', 'php', 'asp', 'aspx', 'jsp', 'cfm', 'shtml']);

/**
 * Whether a request is a page view: a person's (not a bot's) complete, successful GET of a path
 * whose last segment has no file extension, or a page one (`.html`, `.php`...). Assets, API
 * errors, redirects and aborted requests are requests, not page views.
 */
export function isPageViewFact(f: RollupFact): boolean {
  if (f.bot || f.aborted || f.method !== 'GET') return false;
  if (f.status < 200 || f.status > 299) return false;
  const path = f.page;
  const last = path.slice(path.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  if (dot <= 0) return true;
  return PAGE_EXTENSIONS.has(last.slice(dot + 1).toLowerCase());
}
