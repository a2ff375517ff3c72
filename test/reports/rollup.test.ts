import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { OTHER } from '../../src/reports/bucket.js';
import { HLL_STANDARD_ERROR } from '../../src/reports/hyperloglog.js';
import { rollupHours } from '../../src/reports/rollup.js';
import { MemoryRollups } from '../../src/reports/rollup-store.js';
import { updateRollups } from '../../src/reports/runner.js';
import type { BreakdownRow, Figure } from '../../src/reports/suppress.js';
import { type TrafficReport, trafficReport } from '../../src/reports/traffic.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { DAY, SET_START, trafficSet, truth } from './traffic-set.js';

// Large generated traffic sets: generous bounds on a shared, busy machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

// Uniques are estimates: within three standard errors (about 2.4 %) of the truth.
const UNIQUE_TOLERANCE = 3 * HLL_STANDARD_ERROR;
const DAYS = 60;
const END = SET_START + DAYS * DAY;

function asMap(rows: BreakdownRow[]): Record<string, Figure> {
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

function numeric(figure: Figure): number {
  if (typeof figure !== 'number') throw new Error(`suppressed figure: ${JSON.stringify(figure)}`);
  return figure;
}

describe('rollups of a generated traffic set with a known truth', () => {
  const records = trafficSet(50_000, DAYS, 6_000);
  let store: MemoryStore;
  let rollups: MemoryRollups;
  const month = {
    from: new Date(SET_START),
    to: new Date(SET_START + 30 * DAY),
    interval: 'day' as const,
  };
  const monthTruth = truth(records, SET_START, SET_START + 30 * DAY);

  beforeAll(async () => {
    store = new MemoryStore();
    rollups = new MemoryRollups();
    await store.write(records);
    await updateRollups(store, rollups, { now: new Date(END + DAY) });
  });

  async function report(
    by?: TrafficReport['breakdown'] extends infer B
      ? B extends { by: infer X }
        ? X
        : never
      : never,
  ) {
    return trafficReport(rollups, by === undefined ? month : { ...month, by }, 1, new Date(END));
  }

  it('counts requests, bots, page views, bytes, visits exactly', async () => {
    const { totals } = await report();
    expect(totals.requests).toBe(monthTruth.requests);
    expect(totals.bots).toBe(monthTruth.bots);
    expect(totals.pageViews).toBe(monthTruth.pageViews);
    expect(totals.bytes).toBe(monthTruth.bytes);
    expect(totals.visits).toBe(monthTruth.visits);
    expect(totals.pageViewsWithVisitor).toBe(monthTruth.pageViewsWithVisitor);
    expect(totals.pageViewsWithNonessential).toBe(monthTruth.pageViewsWithNonessential);
  });

  it('breaks page views down by route, browser, referrer origin and entry page exactly', async () => {
    expect(asMap((await report('page')).breakdown!.rows)).toEqual(monthTruth.pages);
    expect(asMap((await report('browser')).breakdown!.rows)).toEqual(monthTruth.browsers);
    expect(asMap((await report('referrer')).breakdown!.rows)).toEqual(monthTruth.referrers);
    expect(asMap((await report('entry')).breakdown!.rows)).toEqual(monthTruth.entries);
    expect(asMap((await report('status')).breakdown!.rows)).toEqual(monthTruth.status);
  });

  it('counts each day exactly and estimates its uniques within the stated error', async () => {
    const { series } = await report();
    expect(series).toHaveLength(30);
    for (const [i, point] of series.entries()) {
      const day = truth(records, SET_START + i * DAY, SET_START + (i + 1) * DAY);
      expect(point.start).toBe(new Date(SET_START + i * DAY).toISOString());
      expect(point.pageViews).toBe(day.pageViews);
      expect(point.requests).toBe(day.requests);
      expect(point.visits).toBe(day.visits);
      expect(Math.abs(numeric(point.visitors) - day.visitors) / day.visitors).toBeLessThan(
        UNIQUE_TOLERANCE,
      );
    }
  });

  it("estimates a month's uniques within the stated error", async () => {
    const { totals } = await report();
    const estimate = numeric(totals.visitors);
    expect(Math.abs(estimate - monthTruth.visitors) / monthTruth.visitors).toBeLessThan(
      UNIQUE_TOLERANCE,
    );
  });

  it('reports response-time percentiles within 2 % (plus the 1 ms first bin)', async () => {
    const { totals } = await report();
    const sorted = monthTruth.durations;
    for (const [name, q] of [
      ['p50', 0.5],
      ['p90', 0.9],
      ['p99', 0.99],
    ] as const) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const reported = totals.latencyMs[name]!;
      expect(reported).toBeGreaterThanOrEqual(exact - 0.05);
      expect(reported).toBeLessThanOrEqual(exact * 1.02 + 0.1);
    }
  });

  it('gives the same figures per host as the truth of that host', async () => {
    const r = await trafficReport(
      rollups,
      { ...month, filter: { host: 'b.example' } },
      1,
      new Date(END),
    );
    const t = truth(records, SET_START, SET_START + 30 * DAY, 'b.example');
    expect(r.totals.pageViews).toBe(t.pageViews);
    expect(r.totals.requests).toBe(t.requests);
    expect(r.totals.visits).toBe(t.visits);
  });

  it("leaves the month's report unchanged after every raw record is purged", async () => {
    const before = await report('page');
    await store.purge(new Date(END + 30 * DAY));
    expect(store.records).toHaveLength(0);
    await updateRollups(store, rollups, { now: new Date(END + 2 * DAY) });
    expect(await report('page')).toEqual(before);
  });
});

describe('incremental runs', () => {
  it('give the same buckets as one run, however the records arrive, and a rerun changes nothing', async () => {
    const records = trafficSet(6_000, 5, 800, 7);
    const once = new MemoryRollups();
    const oneStore = new MemoryStore();
    await oneStore.write(records);
    await updateRollups(oneStore, once, { now: new Date(SET_START + 6 * DAY) });

    const step = new MemoryRollups();
    const stepStore = new MemoryStore();
    // Records arrive as time passes; runs happen every 7 hours, each at the time of its last record.
    for (let t = SET_START + 7 * 3_600_000; t < SET_START + 6 * DAY; t += 7 * 3_600_000) {
      await stepStore.write(
        records.filter((r) => Date.parse(r.time) < t && Date.parse(r.time) >= t - 7 * 3_600_000),
      );
      await updateRollups(stepStore, step, { now: new Date(t) });
      await updateRollups(stepStore, step, { now: new Date(t) });
    }
    await stepStore.write(records.filter((r) => !stepStore.records.some((s) => s.id === r.id)));
    await updateRollups(stepStore, step, { now: new Date(SET_START + 6 * DAY) });
    const range = [
      new Date(SET_START).toISOString(),
      new Date(SET_START + 6 * DAY).toISOString(),
    ] as const;
    // Sketches compare by their bytes: deep equality of 16 KiB arrays is slow.
    const plain = (rollups: MemoryRollups, interval: 'hour' | 'day') =>
      rollups.buckets(interval, ...range).map((b) => ({
        ...b,
        visitors: Buffer.from(b.visitors.serialize()).toString('base64'),
      }));
    for (const interval of ['hour', 'day'] as const) {
      expect(plain(step, interval)).toEqual(plain(once, interval));
    }
    expect(once.buckets('day', ...range).length).toBeGreaterThan(5);
  });

  it('skips the run while another runner holds the lease', async () => {
    const rollups = new MemoryRollups();
    const lease = rollups.acquire(60_000)!;
    const result = await updateRollups(new MemoryStore(), rollups);
    expect(result.skipped).toBe(true);
    rollups.release(lease);
    expect((await updateRollups(new MemoryStore(), rollups)).skipped).toBe(false);
  });
});

describe('what a rollup holds', () => {
  it('keeps no id, address, visitor id or query string, and counts bots apart', () => {
    const record: AccessRecord = trafficSet(1, 1, 1)[0]!;
    record.nonessential = {
      visitorId: 'secret-visitor',
      referrer: 'https://ref.example/path?q=secret',
    };
    record.client = { ip: '203.0.113.7', geo: { country: 'DE' } };
    record.essential = { ...record.essential, bot: false, method: 'GET', status: 200, route: '/p' };
    const bot = {
      ...record,
      id: 'bot',
      essential: { ...record.essential, bot: true, route: '/bot-only' },
    };
    const [bucket] = rollupHours([record, bot]);
    const text = JSON.stringify(bucket!.counts);
    for (const secret of [record.id, '203.0.113.7', 'secret-visitor', 'secret', '/path']) {
      expect(text).not.toContain(secret);
    }
    expect(bucket!.counts.bots).toBe(1);
    expect(bucket!.counts.pages).toEqual({ '/p': 1 });
    expect(bucket!.counts.referrers).toEqual({ 'https://ref.example': 1 });
  });

  it('caps distinct keys per bucket with an "(other)" row', () => {
    const base = trafficSet(1, 1, 1)[0]!;
    const many = Array.from({ length: 1_500 }, (_, i) => ({
      ...base,
      id: String(i),
      essential: { ...base.essential, bot: false, method: 'GET', status: 200, route: `/r/${i}` },
    }));
    const [bucket] = rollupHours(many);
    expect(Object.keys(bucket!.counts.pages)).toHaveLength(1_001);
    expect(bucket!.counts.pages[OTHER]).toBe(500);
    expect(bucket!.counts.pageViews).toBe(1_500);
  });
});
