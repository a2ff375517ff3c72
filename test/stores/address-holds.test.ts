import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import type { Store } from '../../src/stores/store.js';
import { contractRecord, readAll } from '../../src/testing/store-contract.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from './redis-helpers.js';

const FAR = new Date('2100-01-01T00:00:00.000Z');

/** Where the policy keeps full addresses, a hold may name one: the servers' stores, as SQLite. */
function addressHold(open: () => Store): void {
  it('covers the records of that address, keeps them from purge and erasure, until released', async () => {
    const store = open() as Required<
      Pick<Store, 'write' | 'hold' | 'release' | 'erase' | 'purge'>
    > &
      Store;
    await store.init?.();
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
    await store.close?.();
  });
}

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
  addressHold(() => new PostgresStore({ pool, table }));
});

serviceSuite('REDIS_URL', 'RedisStreamStore: a legal hold by client address', (url) => {
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => {});
  const prefix = uniqueName('epl-ipholds');
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await deleteKeys(client, `{${prefix}}`);
    await client.quit();
  });
  addressHold(() => new RedisStreamStore({ client, prefix }));
});
