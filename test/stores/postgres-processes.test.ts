/**
 * Three app processes write to one PostgreSQL table under load, each sweeping retention as often
 * as it can: every record is stored exactly once, and no two sweeps ever overlap.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { watchAdvisoryLock } from '../helpers/advisory-lock.js';
import { runJsonChild } from '../helpers/json-child.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

const APP = join(import.meta.dirname, '../fixtures/pg-app.mjs');

serviceSuite('PG_URL', 'three processes sharing one PostgreSQL table', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  const table = uniqueName('epl_procs');
  afterAll(async () => {
    await pool.query(
      `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
    );
    await pool.end();
  });

  it('stores every record exactly once, with one sweeper at a time', {
    timeout: 60_000,
  }, async () => {
    if (!existsSync(join(import.meta.dirname, '../../dist/entries/postgres.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (the children import it)');
    }
    const perProcess = 1500;
    // Watch the sweeper lock from outside: never more than one holder.
    const lock = watchAdvisoryLock(pool, 0x65706c02, table);

    const run = () =>
      runJsonChild<{
        sent: number;
        stats: Record<string, unknown>;
        sweeps: { ran: number; skipped: number };
      }>(APP, [url, table, perProcess]);
    const results = await Promise.all([run(), run(), run()]);
    const mostHolders = await lock.stop();

    for (const result of results) {
      expect(result.sent).toBe(perProcess);
      expect(result.stats).toMatchObject({
        accepted: perProcess,
        written: perProcess,
        buffered: 0,
      });
    }
    const expected = 3 * perProcess + 500;
    const { rows } = await pool.query<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM "${table}"`,
    );
    expect(rows[0]).toEqual({ n: expected, ids: expected });

    // One at a time, and someone swept.
    expect(mostHolders).toBe(1);
    const sweeps = results.reduce(
      (sum, r) => ({ ran: sum.ran + r.sweeps.ran, skipped: sum.skipped + r.sweeps.skipped }),
      { ran: 0, skipped: 0 },
    );
    // They did contend: some sweeps found another one running and stood aside.
    expect(sweeps.ran).toBeGreaterThan(0);
    expect(sweeps.skipped).toBeGreaterThan(0);
  });
});
