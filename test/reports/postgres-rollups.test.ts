import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { updateRollups } from '../../src/reports/runner.js';
import { trafficReport } from '../../src/reports/traffic.js';
import { PostgresRollups } from '../../src/stores/postgres-rollups.js';
import { PostgresStore } from '../../src/stores/postgres-store.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { DAY, SET_START, trafficSet, truth } from './traffic-set.js';

// Large generated traffic sets: generous bounds on a shared, busy machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const DAYS = 6;
const END = SET_START + DAYS * DAY;

serviceSuite('PG_URL', 'rollups kept in PostgreSQL', (url) => {
  const table = uniqueName('rollup');
  // Two pools are two sets of database sessions: to the advisory lock, two processes.
  const pools = [new pg.Pool({ connectionString: url }), new pg.Pool({ connectionString: url })];
  const records = trafficSet(8_000, DAYS, 1_000, 11);
  let store: PostgresStore;

  beforeAll(async () => {
    for (const pool of pools) pool.on('error', () => {});
    store = new PostgresStore({ pool: pools[0]!, table });
    await store.init();
    await store.write(records);
  });

  afterAll(async () => {
    const client = await pools[0]!.connect();
    await client.query(
      `DROP TABLE IF EXISTS "${table}" CASCADE; DROP TABLE IF EXISTS "${table}_holds", "${table}_consents", "${table}_schema", "${table}_rollups", "${table}_rollup_state"`,
    );
    client.release();
    await store.close();
    for (const pool of pools) await pool.end();
  });

  it('counts every record exactly once when two instances roll up at once, run after run', async () => {
    const rollups = pools.map((pool) => new PostgresRollups({ pool, table }));
    await Promise.all(rollups.map((r) => r.init()));
    let ran = 0;
    for (let t = SET_START + 5 * 3_600_000; t <= END + DAY; t += 13 * 3_600_000) {
      const results = await Promise.all(
        rollups.map((r) => updateRollups(store, r, { now: new Date(t) })),
      );
      // Never both at once; the one that lost the lock changed nothing.
      expect(results.filter((r) => !r.skipped).length).toBeLessThanOrEqual(1);
      ran += results.filter((r) => !r.skipped).length;
    }
    await updateRollups(store, rollups[1]!, { now: new Date(END + DAY) });
    expect(ran).toBeGreaterThan(5);
    const exact = truth(records, SET_START, END);
    for (const r of rollups) {
      const report = await trafficReport(
        r,
        { from: new Date(SET_START), to: new Date(END), by: 'page' },
        1,
        new Date(END + DAY),
      );
      expect(report.totals.requests).toBe(exact.requests);
      expect(report.totals.pageViews).toBe(exact.pageViews);
      expect(report.totals.bots).toBe(exact.bots);
      expect(report.totals.visits).toBe(exact.visits);
      expect(Object.fromEntries(report.breakdown!.rows.map((row) => [row.key, row.value]))).toEqual(
        exact.pages,
      );
    }
  });

  it('lets another instance run once the lock holder is gone', async () => {
    const a = new PostgresRollups({ pool: pools[0]!, table });
    const b = new PostgresRollups({ pool: pools[1]!, table });
    const lease = await a.acquire(60_000);
    expect(lease).toBeDefined();
    expect(await b.acquire(60_000)).toBeUndefined();
    await a.close();
    const next = await b.acquire(60_000);
    expect(next).toBeDefined();
    await b.release(next!);
  });
});
