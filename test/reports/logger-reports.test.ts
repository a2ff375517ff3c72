import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { definePolicy, presets, privacyLog } from '../../src/index.js';
import type { PrivacyLogMiddleware } from '../../src/middleware.js';
import { OTHER } from '../../src/reports/bucket.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';
import { DAY, SET_START, trafficSet } from './traffic-set.js';

// Large generated traffic sets: generous bounds on a shared, busy machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const loggers: PrivacyLogMiddleware[] = [];
afterEach(async () => {
  for (const log of loggers.splice(0)) await log.close();
});

function logger(store: MemoryStore, k?: number) {
  const policy = definePolicy({
    ...presets.classic,
    ...(k === undefined ? {} : { aggregates: { k } }),
  });
  const log = privacyLog({
    policy,
    store,
    secret: SECRET,
    logger: spyLogger(),
    retention: { enabled: false },
    handleSignals: false,
  });
  loggers.push(log);
  return log;
}

describe('logger.reports.traffic', () => {
  it('includes the requests served just before it is called', async () => {
    const store = new MemoryStore();
    const log = logger(store, 2);
    const app = express();
    app.use(log);
    app.get('/items/:id', (_req, res) => {
      res.send('item');
    });
    for (let i = 0; i < 12; i++) await request(app).get(`/items/${i}`).set('Host', 'shop.example');
    await request(app)
      .get('/items/1')
      .set('Host', 'shop.example')
      .set('User-Agent', 'Googlebot/2.1');
    const report = await log.reports.traffic({
      by: 'page',
      interval: 'hour',
      from: new Date(Date.now() - 3_600_000),
    });
    expect(report.k).toBe(2);
    expect(report.totals.pageViews).toBe(12);
    expect(report.totals.bots).toEqual({ fewerThan: 2 });
    expect(report.breakdown!.rows).toEqual([{ key: '/items/:id', value: 12 }]);
  });

  it('uses the policy k: a breakdown never shows a cell below it', async () => {
    const store = new MemoryStore();
    await store.write(trafficSet(3_000, 2, 400, 3));
    const log = logger(store, 500);
    const report = await log.reports.traffic({
      from: new Date(SET_START),
      to: new Date(SET_START + 2 * DAY),
      by: 'page',
    });
    for (const row of report.breakdown!.rows) {
      if (typeof row.value === 'number') expect(row.value).toBeGreaterThanOrEqual(500);
      else expect(row.key).toBe(OTHER);
    }
    expect(report.breakdown!.rows.some((row) => row.key === OTHER)).toBe(true);
  });
});

describe('retention and rollups', () => {
  it('rolls records up before retention deletes them, so the report outlives them', async () => {
    const store = new MemoryStore();
    const records = trafficSet(2_000, 3, 300, 9);
    await store.write(records);
    const log = logger(store, 1);
    const range = { from: new Date(SET_START), to: new Date(SET_START + 3 * DAY) };
    // Every record expired long ago: retention would delete them all at once.
    const result = await log.purge(new Date(SET_START + 400 * DAY));
    expect(result.deleted).toBe(records.length);
    expect(store.records).toHaveLength(0);
    const report = await log.reports.traffic(range);
    const people = records.filter((r) => r.essential.bot !== true).length;
    expect(report.totals.requests).toBe(people);
  });

  it('deletes buckets older than aggregates.retention', async () => {
    const store = new MemoryStore();
    await store.write(trafficSet(500, 2, 100, 6));
    const log = privacyLog({
      policy: definePolicy({ ...presets.classic, aggregates: { retention: 'P30D', k: 1 } }),
      store,
      secret: SECRET,
      logger: spyLogger(),
      retention: { enabled: false },
      handleSignals: false,
    });
    loggers.push(log);
    const range = { from: new Date(SET_START), to: new Date(SET_START + 2 * DAY) };
    await log.purge(new Date(SET_START + 10 * DAY));
    expect((await log.reports.traffic(range)).totals.requests).toBeGreaterThan(0);
    await log.purge(new Date(SET_START + 40 * DAY));
    expect((await log.reports.traffic(range)).totals.requests).toBe(0);
  });

  it('keeps every record while the rollups cannot run', async () => {
    class UnreadableStore extends MemoryStore {
      // biome-ignore lint/correctness/useYield: a store whose reads fail
      override async *read(): AsyncGenerator<never> {
        throw new Error('disk error');
      }
    }
    const store = new UnreadableStore();
    const records = trafficSet(200, 1, 50, 4);
    await store.write(records);
    const spy = spyLogger();
    const log = privacyLog({
      policy: presets.classic,
      store,
      secret: SECRET,
      logger: spy,
      retention: { enabled: false },
      handleSignals: false,
    });
    loggers.push(log);
    const result = await log.purge(new Date(SET_START + 400 * DAY));
    expect(result.deleted).toBe(0);
    expect(store.records).toHaveLength(records.length);
    expect(spy.codes()).toContain('ERR_ROLLUP');
  });
});
