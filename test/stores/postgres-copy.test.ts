import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../src/stores/postgres/schema.js';
import { tableNames } from '../../src/stores/postgres/sql.js';
import type { PgPool } from '../../src/stores/postgres/store.js';
import { POSTGRES_SCHEMA_VERSION, PostgresStore } from '../../src/stores/postgres/store.js';
import { contractRecord, contractRecords, readAll } from '../../src/testing/store-contract.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

const ZEROS = { client: 0, nonessential: 0, optional: 0, security: 0 };

describe('PostgresStore options', () => {
  it('refuses a copy option that is not a boolean', () => {
    const pool: PgPool = { connect: () => new Promise(() => {}) };
    expect(() => new PostgresStore({ pool, copy: 'yes' as unknown as boolean })).toThrow(
      /copy must be true or false/,
    );
  });
});

serviceSuite('PG_URL', 'PostgresStore loading batches', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const tables: string[] = [];
  const stores: PostgresStore[] = [];

  const open = async (options: { table?: string; copy?: boolean } = {}): Promise<PostgresStore> => {
    const table = options.table ?? uniqueName(`epl_copy${tables.length}`);
    if (!tables.includes(table)) tables.push(table);
    const copy = options.copy === undefined ? {} : { copy: options.copy };
    const store = new PostgresStore({ pool, table, partitionsAheadDays: 1, ...copy });
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

  it('loads with COPY when pg-copy-streams is installed, and inserts with copy: false', async () => {
    expect((await open()).writeMethod).toBe('copy');
    expect((await open({ copy: true })).writeMethod).toBe('copy');
    expect((await open({ copy: false })).writeMethod).toBe('insert');
  });

  it('a batch that meets stored records is inserted instead, each record once', async () => {
    const store = await open();
    const records = contractRecords(0, 300);
    await store.write(records.slice(0, 200));
    // Half stored, half new, in one batch: COPY stops at the first stored key; the insert skips
    // every stored one and writes the rest.
    await store.write(records.slice(100));
    const stored = await readAll(store);
    expect(stored.length).toBe(300);
    expect(stored).toEqual(records);
  });

  it('COPY keeps tabs, line ends, backslashes and \\N in text columns and records', async () => {
    const store = await open();
    const visitorId = 'v\t1\n2\r3\\N\\.';
    const record = contractRecord(1, {
      nonessential: { visitorId, referrer: 'https://example.org/\\path\ttab' },
      optional: { email: 'Tab\t@Example.org', note: '\\N' },
    });
    const plain = contractRecord(2, { nonessential: undefined });
    await store.write([record, plain]);
    expect(await readAll(store)).toEqual([record, plain]);
    expect(await readAll(store, { subject: { visitorId } })).toEqual([record]);
    expect(await readAll(store, { subject: { email: 'tab\t@example.org' } })).toEqual([record]);
  });

  it('COPY turns NUL and lone surrogates in identifiers into U+FFFD instead of failing', async () => {
    const store = await open();
    const record = contractRecord(1, {
      nonessential: { visitorId: 'a\u0000b\udc00' },
      optional: { email: 'x\u0000@y.z' },
    });
    await store.write([record]);
    expect(await readAll(store, { subject: { visitorId: 'a\ufffdb\ufffd' } })).toHaveLength(1);
    expect(await readAll(store, { subject: { email: 'x\ufffd@y.z' } })).toHaveLength(1);
  });

  it('migrates a version 1 table: json records, one index on the earliest expiry', async () => {
    const table = uniqueName('epl_v1');
    tables.push(table);
    const t = tableNames(table);
    await pool.query(migrations(t)[0]!);
    await pool.query(`CREATE TABLE ${t.schema} (version integer NOT NULL)`);
    await pool.query(`INSERT INTO ${t.schema} (version) VALUES (1)`);
    const old = contractRecord(1, {
      optional: { email: 'old@example.org' },
      expires: {
        client: '2025-02-01T00:00:00.000Z',
        optional: '2025-02-01T00:00:00.000Z',
        essential: '2025-04-01T00:00:00.000Z',
      },
    });
    await pool.query(
      `INSERT INTO ${t.base} (time, id, visitor_id, email, held, exp_client, exp_essential,
         exp_optional, record) VALUES ($1, $2, $3, $4, false, $5, $6, $7, $8)`,
      [
        old.time,
        old.id,
        old.nonessential?.visitorId,
        'old@example.org',
        old.expires.client,
        old.expires.essential,
        old.expires.optional,
        JSON.stringify(old),
      ],
    );

    const store = await open({ table });
    const { rows: version } = await pool.query(`SELECT version FROM ${t.schema}`);
    expect(version).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
    const { rows: columns } = await pool.query(
      `SELECT column_name, data_type, is_generated FROM information_schema.columns
        WHERE table_name = $1 AND column_name IN ('record', 'exp_next') ORDER BY 1`,
      [table],
    );
    expect(columns).toEqual([
      { column_name: 'exp_next', data_type: 'timestamp with time zone', is_generated: 'ALWAYS' },
      { column_name: 'record', data_type: 'json', is_generated: 'NEVER' },
    ]);
    const { rows: indexes } = await pool.query(
      'SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1',
      [table],
    );
    expect(indexes.map((row) => row.indexname)).toEqual([
      `${table}_email`,
      `${table}_exp_next`,
      `${table}_pkey`,
      `${table}_visitor_id`,
    ]);

    expect(await readAll(store)).toEqual([old]);
    const fresh = contractRecord(2, {
      expires: { client: '2025-02-01T00:00:00.000Z', essential: '2025-03-01T00:00:00.000Z' },
    });
    await store.write([fresh]);
    expect(await store.purge(new Date('2025-02-01T00:00:00.000Z'))).toMatchObject({
      removed: { ...ZEROS, client: 2, optional: 1 },
      deleted: 0,
    });
    expect(await readAll(store, { subject: { email: 'old@example.org' } })).toEqual([]);
    const { client: _client, optional: _optional, ...kept } = old;
    expect(await readAll(store, { limit: 1 })).toEqual([
      { ...kept, expires: { essential: '2025-04-01T00:00:00.000Z' } },
    ]);
    expect((await store.purge(new Date('2025-04-01T00:00:00.000Z'))).deleted).toBe(2);
  });
});
