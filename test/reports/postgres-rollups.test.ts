import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { HLL_STANDARD_ERROR } from '../../src/reports/hyperloglog.js';
import { updateRollups } from '../../src/reports/runner.js';
import { trafficReport } from '../../src/reports/traffic.js';
import { PostgresRollups, ROLLUP_LOCK } from '../../src/stores/postgres/rollups.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { contractId } from '../../src/testing/contract-records.js';
import { watchAdvisoryLock } from '../helpers/advisory-lock.js';
import { runJsonChild } from '../helpers/json-child.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { DAY, expectExact, SET_START, trafficSet, truth } from './traffic-set.js';

// Large generated traffic sets and two child processes: generous bounds on a shared, busy machine
// (no timing is asserted).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const DAYS = 6;
const END = SET_START + DAYS * DAY;
const HOUR = 3_600_000;
const CHILD = join(import.meta.dirname, '../fixtures/pg-rollup-process.mjs');

/** Records each child writes while it rolls up: ids and visitors of their own. */
function childRecords(seed: number, idBase: number): AccessRecord[] {
  return trafficSet(1_000, DAYS, 1_000, seed).map((record, i) => {
    const copy = structuredClone(record);
    copy.id = contractId(idBase + i);
    // One visitor per record: a late page view never joins a visit counted before it.
    if (copy.nonessential?.visitorId) copy.nonessential.visitorId = `child-${seed}-${i}`;
    return copy;
  });
}

serviceSuite('PG_URL', 'rollups kept in PostgreSQL', (url) => {
  const table = uniqueName('rollup');
  const pool = new pg.Pool({ connectionString: url });
  const dir = mkdtempSync(join(tmpdir(), 'rollups-pg-'));
  const onTime = trafficSet(8_000, DAYS, 1_000, 11);
  let store: PostgresStore;

  beforeAll(async () => {
    pool.on('error', () => {});
    store = new PostgresStore({ pool, table });
    await store.init();
    await store.write(onTime);
  });

  afterAll(async () => {
    await pool.query(
      `DROP TABLE IF EXISTS "${table}" CASCADE; DROP TABLE IF EXISTS "${table}_holds", "${table}_consents", "${table}_schema", "${table}_rollups", "${table}_rollup_state", "${table}_rollup_late"; DROP FUNCTION IF EXISTS "${table}_rollup_queue_late"()`,
    );
    await store.close();
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every record exactly once when two processes write and roll up at once', async () => {
    if (!existsSync(join(import.meta.dirname, '../../dist/internal/index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (the children import it)');
    }
    const own = [childRecords(31, 500_000), childRecords(32, 600_000)];
    const files = own.map((records, i) => {
      const file = join(dir, `child-${i}.json`);
      writeFileSync(file, JSON.stringify(records));
      return file;
    });
    // Watch the rollup lock from outside: never more than one holder.
    const lock = watchAdvisoryLock(pool, ROLLUP_LOCK, table);
    const run = (file: string) =>
      runJsonChild<{ ran: number; skipped: number; written: number }>(CHILD, [
        url,
        table,
        file,
        SET_START + 5 * HOUR,
        END + DAY,
        11 * HOUR,
      ]);
    const results = await Promise.all(files.map(run));
    const mostHolders = await lock.stop();

    expect(mostHolders).toBe(1);
    // They did contend: each found the other holding the lock, again and again.
    expect(results.reduce((sum, r) => sum + r.skipped, 0)).toBeGreaterThan(0);
    for (const [i, result] of results.entries()) {
      // Both processes rolled up at every step: each run waited its turn for the other's.
      expect(result.ran).toBe(results[0]!.ran);
      expect(result.ran).toBeGreaterThan(10);
      expect(result.written).toBe(own[i]!.length);
    }
    const all = [...onTime, ...own.flat()];
    const rollups = new PostgresRollups({ pool, table });
    await updateRollups(store, rollups, { now: new Date(END + DAY) });
    const exact = truth(all, SET_START, END);
    const report = await trafficReport(
      rollups,
      { from: new Date(SET_START), to: new Date(END), by: 'page' },
      1,
      new Date(END + DAY),
    );
    await rollups.close();
    expectExact(report, exact);
    const visitors = report.totals.visitors as number;
    expect(Math.abs(visitors - exact.visitors) / exact.visitors).toBeLessThan(
      3 * HLL_STANDARD_ERROR,
    );
  });

  it('lets another instance run once the lock holder is gone', async () => {
    const other = new pg.Pool({ connectionString: url });
    other.on('error', () => {});
    const a = new PostgresRollups({ pool, table });
    const b = new PostgresRollups({ pool: other, table });
    const lease = await a.acquire(60_000);
    expect(lease).toBeDefined();
    expect(await b.acquire(60_000)).toBeUndefined();
    await a.close();
    const next = await b.acquire(60_000);
    expect(next).toBeDefined();
    await b.release(next!);
    await other.end();
  });
});
