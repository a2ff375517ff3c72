import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import type { Disclosure, Store } from '../../src/stores/store.js';
import { makeRecord, testId } from '../helpers/records.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from './redis-helpers.js';

const entry = (id: string, at: string): Disclosure => ({
  id,
  at,
  by: 'J. Doe',
  recipient: 'Police, case 2026-117',
  basis: 'production order',
  scope: { incident: 'sql-injection', kind: 'reason', ids: ['r1', 'r2'] },
  manifest: 'a'.repeat(64),
});

/** The register's behaviour, the same on every store that keeps one. */
function registerCases(make: () => Promise<Store>): void {
  it('keeps entries in time order, the first of an id, and outlives erasure and purge', async () => {
    const store = await make();
    expect(await store.disclosures!()).toEqual([]);
    const attacker = makeRecord({ id: testId(1) });
    await store.write([attacker]);
    await store.disclose!(entry('second', '2026-11-30T12:00:00Z'));
    await store.disclose!(entry('first', '2026-11-29T12:00:00Z'));
    await store.disclose!({ ...entry('first', '2026-11-29T12:00:00Z'), recipient: 'someone else' });
    await store.erase!({ visitorId: attacker.nonessential!.visitorId! });
    await store.purge!(new Date(Date.now() + 10 * 365 * 86_400_000));
    expect(await store.disclosures!()).toEqual([
      entry('first', '2026-11-29T12:00:00.000Z'),
      entry('second', '2026-11-30T12:00:00.000Z'),
    ]);
  });

  it('refuses an entry that does not say who received the evidence, and enters nothing', async () => {
    const store = await make();
    const { recipient: _, ...partial } = entry('x', '2026-11-30T12:00:00Z');
    await expect(store.disclose!(partial as Disclosure)).rejects.toThrow(/recipient/);
    await expect(store.disclose!({ ...entry('y', 'soon'), manifest: 'x' })).rejects.toThrow(
      TypeError,
    );
    expect(await store.disclosures!()).toEqual([]);
  });
}

describe('the disclosure register: MemoryStore', () => {
  registerCases(async () => new MemoryStore());
});

describe('the disclosure register: SqliteStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'epl-register-'));
  const opened: SqliteStore[] = [];
  afterAll(async () => {
    for (const store of opened) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  registerCases(async () => {
    const store = new SqliteStore({ path: join(dir, `${opened.length}.sqlite`) });
    opened.push(store);
    await store.init();
    return store;
  });
});

serviceSuite('PG_URL', 'the disclosure register: PostgresStore', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const tables: string[] = [];
  afterAll(async () => {
    for (const t of tables)
      await pool.query(
        `DROP TABLE IF EXISTS "${t}", "${t}_holds", "${t}_schema", "${t}_disclosures", "${t}_rollups", "${t}_rollup_state" CASCADE`,
      );
    await pool.end();
  });
  registerCases(async () => {
    const table = `${uniqueName('epl_register')}_${tables.length}`;
    tables.push(table);
    const store = new PostgresStore({ pool, table });
    await store.init();
    return store;
  });
});

serviceSuite('REDIS_URL', 'the disclosure register: RedisStreamStore', (url) => {
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => {});
  const prefixes: string[] = [];
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeys(client, prefix);
    await client.quit();
  });
  registerCases(async () => {
    const store = new RedisStreamStore({
      client,
      prefix: `${uniqueName('epl-register')}-${prefixes.length}`,
    });
    prefixes.push(store.keyPrefix);
    await store.init();
    return store;
  });
});
