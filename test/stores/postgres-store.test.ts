import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { type PgPool, PostgresStore } from '../../src/stores/postgres/store.js';
import { contractRecord, readAll } from '../../src/testing/store-contract.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

describe('PostgresStore without a server', () => {
  const pool: PgPool = { connect: () => new Promise(() => {}) };

  it('validates the table name and the limits', () => {
    for (const table of ['Access', 'a-b', 'x; DROP TABLE y', '"q"', '', 'a'.repeat(49)]) {
      expect(() => new PostgresStore({ pool, table }), table).toThrow(TypeError);
    }
    expect(() => new PostgresStore({ pool, statementTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new PostgresStore({ pool: {} as PgPool })).toThrow(/pg\.Pool/);
    expect(new PostgresStore({ pool }).table).toBe('access_records');
  });

  it('gives up waiting for a pool connection after connectTimeoutMs', async () => {
    const store = new PostgresStore({ pool, connectTimeoutMs: 50 });
    const started = Date.now();
    await expect(store.init()).rejects.toMatchObject({ code: 'ERR_PG_CONNECT_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses calls before init and after close', async () => {
    const store = new PostgresStore({ pool });
    await expect(store.write([contractRecord(1)])).rejects.toThrow(/init\(\) before write/);
    await store.close();
    await expect(store.init()).rejects.toThrow(/after close/);
  });
});

serviceSuite('PG_URL', 'PostgresStore on PostgreSQL', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const tables: string[] = [];
  const stores: PostgresStore[] = [];

  const open = async (table = uniqueName(`epl_pg${tables.length}`)): Promise<PostgresStore> => {
    if (!tables.includes(table)) tables.push(table);
    const store = new PostgresStore({ pool, table, partitionsAheadDays: 2 });
    stores.push(store);
    await store.init();
    return store;
  };

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const table of tables.splice(0)) {
      await pool.query(
        `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
      );
    }
  });
  afterAll(() => pool.end());

  const partitions = async (table: string): Promise<string[]> => {
    const { rows } = await pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [`"${table}"`],
    );
    return rows.map((row) => row.name);
  };

  it('makes the default partition and daily ones from yesterday to the days ahead', async () => {
    const store = await open();
    const names = await partitions(store.table);
    expect(names).toContain(`${store.table}_default`);
    const day = (offset: number): string =>
      new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    for (const offset of [-1, 0, 1, 2]) expect(names).toContain(`${store.table}_p${day(offset)}`);
  });

  it('drops a whole expired day as a partition, and keeps a day with a held record', async () => {
    const store = await open();
    await store.createPartitions(new Date('2025-01-01T00:00:00Z'), 3);
    const day = (d: number, n: number, extra: Partial<AccessRecord> = {}): AccessRecord =>
      contractRecord(n, {
        time: `2025-01-0${d}T12:00:${String(n % 60).padStart(2, '0')}.000Z`,
        expires: { client: '2025-01-05T00:00:00.000Z', essential: '2025-02-01T00:00:00.000Z' },
        ...extra,
      });
    await store.write([
      day(1, 1),
      day(1, 2),
      day(2, 3),
      day(2, 4, { security: { reasons: ['sqli'], hold: true } }),
      day(3, 5, { expires: { essential: '2030-01-01T00:00:00.000Z' } }),
    ]);
    const result = await store.purge(new Date('2025-03-01T00:00:00Z'));
    expect(result).toMatchObject({ deleted: 3, droppedPartitions: 1, removed: { client: 3 } });
    const names = await partitions(store.table);
    expect(names).not.toContain(`${store.table}_p20250101`);
    expect(names).toContain(`${store.table}_p20250102`);
    expect((await readAll(store)).map((r) => r.id)).toEqual([day(2, 4).id, day(3, 5).id]);
  });

  it('keeps a day whose rows already sit in the default partition there', async () => {
    const store = await open();
    const record = contractRecord(1, { time: '2024-06-01T00:00:00.000Z' });
    await store.write([record]);
    await store.createPartitions(new Date('2024-06-01T00:00:00Z'), 1);
    expect(await partitions(store.table)).not.toContain(`${store.table}_p20240601`);
    expect(await readAll(store)).toEqual([record]);
  });

  it('lets only one of several instances sweep at a time; the others skip', async () => {
    const table = uniqueName('epl_sweep');
    const [a, b, c] = [await open(table), await open(table), await open(table)];
    await a.write(
      Array.from({ length: 3000 }, (_, n) =>
        contractRecord(n, { expires: { essential: '2025-02-01T00:00:00.000Z' } }),
      ),
    );
    const results = await Promise.all(
      [a, b, c].map((store) => store.purge(new Date('2025-03-01T00:00:00Z'))),
    );
    const swept = results.filter((result) => result.skipped !== true);
    expect(swept.length).toBeGreaterThanOrEqual(1);
    expect(results.reduce((sum, result) => sum + result.deleted, 0)).toBe(3000);
    // The lock is released after each sweep: the next one runs.
    expect((await b.purge(new Date('2025-03-01T00:00:00Z'))).skipped).toBeUndefined();
  });

  it('skips the sweep while another session holds the sweeper lock', async () => {
    const store = await open();
    const holder = await pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [0x65706c02, store.table]);
      expect(await store.purge(new Date())).toMatchObject({ skipped: true, deleted: 0 });
      await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [0x65706c02, store.table]);
    } finally {
      holder.release();
    }
  });

  it('keeps holds and records across store instances (a restart)', async () => {
    const table = uniqueName('epl_restart');
    const first = await open(table);
    const record = contractRecord(1);
    await first.write([record]);
    await first.hold({
      id: 'case-9',
      reason: 'litigation',
      scope: { ids: [record.id] },
      createdAt: '2025-01-01T00:00:00.000Z',
      reviewAt: '2025-06-01T00:00:00.000Z',
    });
    await first.close();
    const second = await open(table);
    expect((await second.holds()).map((hold) => hold.id)).toEqual(['case-9']);
    expect(await second.purge(new Date('2030-01-01T00:00:00Z'))).toMatchObject({ deleted: 0 });
    expect(await readAll(second)).toEqual([record]);
  });

  it('refuses a schema newer than it knows', async () => {
    const store = await open();
    await pool.query(`UPDATE "${store.table}_schema" SET version = 99`);
    const newer = new PostgresStore({ pool, table: store.table });
    await expect(newer.init()).rejects.toThrow(/schema version 99/);
  });

  it('stores text jsonb would reject (NUL, lone surrogates) with U+FFFD in their place', async () => {
    const store = await open();
    const record = contractRecord(1, {
      optional: { note: 'a\u0000b\ud800c', fine: 'caf\u00e9 \u{1f600}' },
    });
    await store.write([record, contractRecord(2)]);
    const [stored] = await readAll(store, { limit: 1 });
    expect(stored?.optional).toEqual({ note: 'a\ufffdb\ufffdc', fine: 'caf\u00e9 \u{1f600}' });
  });

  it('bounds a statement with statement_timeout on the server', async () => {
    const store = new PostgresStore({
      pool,
      table: uniqueName('epl_timeout'),
      statementTimeoutMs: 200,
    });
    tables.push(store.table);
    stores.push(store);
    await store.init();
    const holder = await pool.connect();
    try {
      // Holding the table's lock makes the insert wait, until lock_timeout or statement_timeout.
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${store.table}" IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      await expect(store.write([contractRecord(1)])).rejects.toMatchObject({
        code: expect.stringMatching(/^(57014|55P03)$/),
      });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });
});
