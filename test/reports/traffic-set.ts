import { expect } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import type { TrafficReport } from '../../src/reports/traffic.js';
import { contractId } from '../../src/testing/contract-records.js';

/** A small deterministic PRNG (mulberry32), so the traffic set is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SET_START = Date.parse('2026-01-01T00:00:00.000Z');
export const DAY = 86_400_000;

const ROUTES = ['/', '/products', '/products/:id', '/blog/:slug', '/about', '/contact', '/rare'];
const ROUTE_WEIGHTS = [30, 20, 25, 15, 5, 4.9, 0.1];
const REFERRERS = [
  undefined,
  'https://search.example/q',
  'https://news.example/a',
  'https://tiny.example/x',
];
const REFERRER_WEIGHTS = [50, 30, 19.9, 0.1];
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Lynx'];
const BROWSER_WEIGHTS = [60, 20, 19.95, 0.05];
const COUNTRIES = ['DE', 'FR', 'US', 'IS'];

function pick<T>(rand: () => number, items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rand() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/**
 * `count` records over `days` days from {@link SET_START}, oldest first: page views, assets,
 * errors, bots, visitors without consent (no nonessential category), rare routes and browsers
 * that stay below k, and repeat visitors from a pool of `visitors`.
 */
export function trafficSet(
  count: number,
  days: number,
  visitors: number,
  seed = 13,
): AccessRecord[] {
  const rand = random(seed);
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(SET_START + Math.floor(rand() * days * DAY));
  times.sort((a, b) => a - b);
  return times.map((time, i) => {
    const bot = rand() < 0.05;
    const asset = rand() < 0.1;
    const route = pick(rand, ROUTES, ROUTE_WEIGHTS);
    const statusRoll = rand();
    const status = statusRoll < 0.9 ? 200 : statusRoll < 0.95 ? 404 : statusRoll < 0.98 ? 301 : 500;
    const consented = rand() < 0.7;
    const visitor = Math.floor(rand() * visitors);
    const iso = new Date(time).toISOString();
    const record: AccessRecord = {
      v: 1,
      id: contractId(i + 1),
      time: iso,
      policy: 'test@1',
      consent: {
        analytics: consented,
        basis: consented ? 'consent' : 'none',
        gpc: false,
        dnt: false,
      },
      client: { ip: '192.0.2.0', geo: { country: COUNTRIES[visitor % 4]!, region: 'IDF' } },
      essential: {
        method: rand() < 0.03 ? 'POST' : 'GET',
        path: asset ? '/static/app.css' : route.replace(/:\w+/, '42'),
        status,
        durationMs: 1 + Math.floor(rand() * 500),
        bytes: 100 + Math.floor(rand() * 10_000),
        host: i % 10 === 0 ? 'b.example' : 'a.example',
        browser: { name: pick(rand, BROWSERS, BROWSER_WEIGHTS), major: '1' },
        os: { name: visitor % 3 === 0 ? 'Linux' : 'Windows' },
        device: visitor % 5 === 0 ? 'mobile' : 'desktop',
        bot,
      },
      expires: {
        client: new Date(time + 2 * DAY).toISOString(),
        essential: new Date(time + 7 * DAY).toISOString(),
      },
    };
    if (!asset) record.essential.route = route;
    if (consented) {
      const referrer = pick(rand, REFERRERS, REFERRER_WEIGHTS);
      record.nonessential = { visitorId: `visitor-${visitor}` };
      if (referrer !== undefined) record.nonessential.referrer = referrer;
      record.expires.nonessential = new Date(time + 1 * DAY).toISOString();
    }
    return record;
  });
}

/** The exact figures of a set over [from, to), counted the plain way, for one host or all. */
export function truth(records: readonly AccessRecord[], from: number, to: number, host?: string) {
  const inRange = records.filter((r) => {
    const t = Date.parse(r.time);
    return t >= from && t < to && (host === undefined || r.essential.host === host);
  });
  const people = inRange.filter((r) => r.essential.bot !== true);
  const views = people.filter(
    (r) =>
      r.essential.method === 'GET' &&
      r.essential.status >= 200 &&
      r.essential.status < 300 &&
      r.essential.route !== undefined,
  );
  const count = (keys: string[]) => {
    const map: Record<string, number> = {};
    for (const key of keys) map[key] = (map[key] ?? 0) + 1;
    return map;
  };
  const withVisitor = views.filter((r) => r.nonessential?.visitorId !== undefined);
  const visitSlots = new Map<string, string>();
  for (const r of withVisitor) {
    const key = `${r.essential.host}|${r.nonessential!.visitorId}|${Math.floor(Date.parse(r.time) / 1_800_000)}`;
    if (!visitSlots.has(key)) visitSlots.set(key, r.essential.route!);
  }
  return {
    requests: people.length,
    bots: inRange.length - people.length,
    pageViews: views.length,
    bytes: people.reduce((sum, r) => sum + (r.essential.bytes ?? 0), 0),
    pages: count(views.map((r) => r.essential.route!)),
    status: count(people.map((r) => `${Math.floor(r.essential.status / 100)}xx`)),
    browsers: count(views.map((r) => r.essential.browser!.name!)),
    referrers: count(
      views
        .filter((r) => r.nonessential !== undefined)
        .map((r) => r.nonessential!.referrer ?? '(direct)')
        .map((ref) => (ref === '(direct)' ? ref : new URL(ref).origin)),
    ),
    pageViewsWithVisitor: withVisitor.length,
    pageViewsWithNonessential: views.filter((r) => r.nonessential !== undefined).length,
    visitors: new Set(withVisitor.map((r) => r.nonessential!.visitorId)).size,
    visits: visitSlots.size,
    entries: count([...visitSlots.values()]),
    durations: people.map((r) => r.essential.durationMs).sort((a, b) => a - b),
  };
}

/** The exact figures of a report by page (k = 1) equal the truth's. */
export function expectExact(report: TrafficReport, exact: ReturnType<typeof truth>): void {
  expect(report.totals.requests).toBe(exact.requests);
  expect(report.totals.bots).toBe(exact.bots);
  expect(report.totals.pageViews).toBe(exact.pageViews);
  expect(report.totals.bytes).toBe(exact.bytes);
  expect(report.totals.visits).toBe(exact.visits);
  expect(report.totals.pageViewsWithVisitor).toBe(exact.pageViewsWithVisitor);
  expect(Object.fromEntries(report.breakdown!.rows.map((row) => [row.key, row.value]))).toEqual(
    exact.pages,
  );
}
