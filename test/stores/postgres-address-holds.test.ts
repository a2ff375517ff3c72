import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { PostgresStore } from '../../src/stores/postgres-store.js';
import { contractRecord, readAll } from '../../src/testing/store-contract.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

const FAR = new Date('2100-01-01T00:00:00.000Z');

serviceSuite('PG_URL', 'PostgresStore: a legal hold by client address', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const table = uniqueName('epl_ipholds');
  afterAll(async () => {
    await pool.query(
      `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
    );
    await pool.end();
  });

  it('covers the records of that address, keeps them from purge and erasure, until released', async () => {
    const store = new PostgresStore({ pool, table });
    await store.init();
    const at = (n: number, ip: string) => contractRecord(n, { client: { ip } });
    const mine = [at(1, '203.0.113.7'), at(3, '203.0.113.7')];
    const other = at(2, '198.51.100.9');
    await store.write([...mine, other]);
    const hold = {
      id: 'case-ip',
      reason: 'abuse report from this address',
      scope: { subject: { ip: '203.0.113.7' } },
      createdAt: '2025-01-02T00:00:00.000Z',
      reviewAt: '2025-07-01T00:00:00.000Z',
    };
    expect(await store.hold(hold)).toBe(2);
    // A record of the address written after the hold is held too.
    const later = at(4, '203.0.113.7');
    await store.write([later]);

    expect(await store.erase({ ip: '203.0.113.7' })).toEqual({ erased: 0, held: 3 });
    await store.purge(FAR);
    expect((await readAll(store)).map((r) => r.id)).toEqual([mine[0]!.id, mine[1]!.id, later.id]);

    expect(await store.release('case-ip')).toBe(true);
    await store.purge(FAR);
    expect(await readAll(store)).toEqual([]);
    await store.close();
  });
});
