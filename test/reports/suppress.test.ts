import { describe, expect, it, vi } from 'vitest';
import { OTHER } from '../../src/reports/bucket.js';
import { MemoryRollups } from '../../src/reports/rollup-store.js';
import { updateRollups } from '../../src/reports/runner.js';
import { formatFigure, suppress, suppressBreakdown } from '../../src/reports/suppress.js';
import { trafficReport } from '../../src/reports/traffic.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { DAY, SET_START, trafficSet, truth } from './traffic-set.js';

// Large generated traffic sets: generous bounds on a shared, busy machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe('small-cell suppression', () => {
  it('shows a count from 1 to k - 1 only as "fewer than k"; zero and k stay numbers', () => {
    expect(suppress(0, 10)).toBe(0);
    expect(suppress(1, 10)).toEqual({ fewerThan: 10 });
    expect(suppress(9, 10)).toEqual({ fewerThan: 10 });
    expect(suppress(10, 10)).toBe(10);
    expect(formatFigure(suppress(3, 5))).toBe('fewer than 5');
  });

  it('folds small cells of a breakdown into "(other)", and suppresses that row too when small', () => {
    expect(suppressBreakdown({ '/a': 50, '/b': 12, '/c': 3, '/d': 9 }, 10)).toEqual([
      { key: '/a', value: 50 },
      { key: '/b', value: 12 },
      { key: OTHER, value: 12 },
    ]);
    expect(suppressBreakdown({ '/a': 50, '/c': 3 }, 10)).toEqual([
      { key: '/a', value: 50 },
      { key: OTHER, value: { fewerThan: 10 } },
    ]);
    // Rows past the limit join "(other)" as well.
    expect(suppressBreakdown({ '/a': 50, '/b': 40, '/c': 30 }, 10, 2)).toEqual([
      { key: '/a', value: 50 },
      { key: '/b', value: 40 },
      { key: OTHER, value: 30 },
    ]);
  });

  it('never shows a cell below k in a report of generated traffic', async () => {
    const records = trafficSet(5_000, 3, 600, 21);
    // Three page views of a page no one else visits, from a browser no one else uses.
    for (const record of records.slice(100, 103)) {
      Object.assign(record.essential, {
        bot: false,
        method: 'GET',
        status: 200,
        route: '/only-three',
        browser: { name: 'RareBrowser' },
      });
    }
    const store = new MemoryStore();
    await store.write(records);
    const rollups = new MemoryRollups();
    await updateRollups(store, rollups, { now: new Date(SET_START + 4 * DAY) });
    const range = { from: new Date(SET_START), to: new Date(SET_START + DAY) };
    const exact = truth(records, SET_START, SET_START + DAY);
    // The set has cells below k: a rare route and a rare browser.
    const rare = Object.entries(exact.pages).filter(([, n]) => n < 10);
    expect(
      rare.length + Object.values(exact.browsers).filter((n) => n < 10).length,
    ).toBeGreaterThan(0);
    for (const by of ['page', 'browser', 'referrer', 'entry', 'status', 'country'] as const) {
      const report = await trafficReport(
        rollups,
        { ...range, by },
        10,
        new Date(SET_START + 4 * DAY),
      );
      for (const row of report.breakdown!.rows) {
        if (typeof row.value === 'number') expect(row.value).toBeGreaterThanOrEqual(10);
        else expect(row.key).toBe(OTHER);
      }
      for (const [key] of rare) {
        if (by === 'page') expect(report.breakdown!.rows.map((r) => r.key)).not.toContain(key);
      }
    }
    const hourly = await trafficReport(
      rollups,
      { ...range, interval: 'hour' },
      1_000,
      new Date(SET_START + 4 * DAY),
    );
    for (const point of hourly.series) {
      for (const figure of [point.pageViews, point.visitors, point.visits, point.requests]) {
        if (typeof figure === 'number') expect(figure === 0 || figure >= 1_000).toBe(true);
      }
    }
    const huge = await trafficReport(rollups, range, 1_000_000, new Date(SET_START + 4 * DAY));
    expect(huge.totals.requests).toEqual({ fewerThan: 1_000_000 });
    expect(huge.totals.bytes).toEqual({ fewerThan: 1_000_000 });
    expect(huge.totals.latencyMs).toEqual({});
  });
});
