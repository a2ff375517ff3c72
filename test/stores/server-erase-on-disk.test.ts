import pg from 'pg';
import { createClient, RESP_TYPES } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import { fillerRecords, markedRecord, markers, occurrences } from '../helpers/markers.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from './redis-helpers.js';

serviceSuite('PG_URL', 'PostgresStore: erased records are gone from every tuple', (url) => {
  // A database of its own: VACUUM cannot remove a row that a transaction older than the deletion
  // may still see, and other suites on the same server open such transactions in theirs.
  const database = uniqueName('epl_disk');
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${database}`;
  const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 4 });
  pool.on('error', () => {});
  admin.on('error', () => {});
  const table = 'access_disk';

  beforeAll(async () => {
    await admin.query(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  /**
   * The bytes of every tuple, live or dead, in every page of the store's tables, TOAST tables and
   * B-tree indexes, read through pageinspect, by relation name. A page's unallocated space is not
   * included: PostgreSQL does not zero it, so bytes of a pruned tuple may lie there until the page
   * is written again (docs/stores.md says so).
   */
  const tuples = async (prefix: string): Promise<Map<string, Buffer>> => {
    await pool.query('CREATE EXTENSION IF NOT EXISTS pageinspect');
    const { rows } = await pool.query<{ name: string; kind: string; pages: number }>(
      `SELECT c.oid::regclass::text AS name, c.relkind::text AS kind,
              pg_relation_size(c.oid) / current_setting('block_size')::int AS pages
         FROM pg_class c
        WHERE (c.relname LIKE $1 OR c.oid IN (
                SELECT reltoastrelid FROM pg_class WHERE relname LIKE $1))
          AND c.relkind IN ('r', 't', 'i')`,
      [`${prefix}%`],
    );
    const out = new Map<string, Buffer>();
    for (const row of rows) {
      const parts: Buffer[] = [];
      for (let page = row.kind === 'i' ? 1 : 0; page < row.pages; page++) {
        const sql =
          row.kind === 'i'
            ? `SELECT decode(replace(data, ' ', ''), 'hex') AS b FROM bt_page_items($1::text, $2)`
            : 'SELECT t_data AS b FROM heap_page_items(get_raw_page($1::text, $2))';
        const found = await pool.query<{ b: Buffer | null }>(sql, [row.name, page]);
        for (const tuple of found.rows) if (tuple.b) parts.push(tuple.b);
      }
      out.set(row.name, Buffer.concat(parts));
    }
    return out;
  };

  const leftovers = async (
    prefix: string,
    needles: readonly string[],
  ): Promise<Record<string, Record<string, number>>> => {
    const out: Record<string, Record<string, number>> = {};
    for (const [name, bytes] of await tuples(prefix)) {
      const found = occurrences(bytes, needles);
      if (Object.keys(found).length > 0) out[name] = found;
    }
    return out;
  };

  it('erasure by visitor id and e-mail: no tuple of any table or index holds a marker', async () => {
    const store = new PostgresStore({ pool, table, partitionsAheadDays: 1 });
    await store.init();
    const byVisitor = markers('pv');
    const byEmail = markers('pe');
    const needles = [...Object.values(byVisitor), ...Object.values(byEmail)];
    await store.write(fillerRecords(40));
    await store.write([markedRecord(byVisitor), markedRecord(byVisitor), markedRecord(byEmail)]);
    await store.write(fillerRecords(40));
    expect(Object.keys(await leftovers(table, needles)).length).toBeGreaterThan(0);

    expect(await store.erase({ visitorId: byVisitor.visitor })).toEqual({ erased: 2, held: 0 });
    expect(await store.erase({ email: byEmail.email })).toEqual({ erased: 1, held: 0 });
    await store.close();

    expect(await leftovers(table, needles)).toEqual({});
  });

  it('purge: deleted and stripped records leave no tuple holding a marker', async () => {
    const store = new PostgresStore({ pool, table: `${table}_p`, partitionsAheadDays: 1 });
    await store.init();
    const mark = markers('pp');
    const past = new Date(Date.now() - 60_000).toISOString();
    // One record expires whole; one loses its optional and nonessential data but lives on.
    const whole = markedRecord(mark);
    whole.expires = { essential: past, nonessential: past, optional: past, client: past };
    const stripped = markedRecord({ ...mark, path: '/kept-path' });
    stripped.expires = { ...stripped.expires, nonessential: past, optional: past };
    await store.write([...fillerRecords(40), whole, stripped, ...fillerRecords(40)]);
    const result = await store.purge(new Date());
    expect(result.deleted).toBe(1);
    expect(result.removed.optional).toBe(2);
    await store.close();
    expect(await leftovers(`${table}_p`, Object.values(mark))).toEqual({});
  });
});

serviceSuite('REDIS_URL', 'RedisStreamStore: erased records leave no key or value', (url) => {
  const client = createClient({ url });
  const raw = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const prefix = uniqueName('epldisk');

  afterAll(async () => {
    await deleteKeys(client, `{${prefix}}`);
    await client.quit();
  });

  /** Every key of the store with everything a client can read from it, as bytes. */
  const readable = async (keyPrefix: string): Promise<Map<string, Buffer>> => {
    const out = new Map<string, Buffer>();
    let cursor = '0';
    do {
      const [next, keys] = (await client.sendCommand([
        'SCAN',
        cursor,
        'MATCH',
        `${keyPrefix}*`,
        'COUNT',
        '1000',
      ])) as [string, string[]];
      for (const key of keys) {
        const type = (await client.sendCommand(['TYPE', key])) as string;
        const read: Record<string, string[]> = {
          hash: ['HGETALL', key],
          set: ['SMEMBERS', key],
          zset: ['ZRANGE', key, '0', '-1', 'WITHSCORES'],
          stream: ['XRANGE', key, '-', '+'],
          string: ['GET', key],
          list: ['LRANGE', key, '0', '-1'],
        };
        const value = await raw.sendCommand(read[type] ?? ['TYPE', key]);
        out.set(key, Buffer.from(`${key}\n${JSON.stringify(value)}`));
      }
      cursor = next;
    } while (cursor !== '0');
    return out;
  };

  it('erasure removes the records, their stream entries and their index keys', async () => {
    await client.connect();
    const store = new RedisStreamStore({ client, prefix });
    await store.init?.();
    const byVisitor = markers('rv');
    const byEmail = markers('re');
    const needles = [...Object.values(byVisitor), ...Object.values(byEmail)];
    await store.write(fillerRecords(20));
    await store.write([markedRecord(byVisitor), markedRecord(byVisitor), markedRecord(byEmail)]);
    await store.write(fillerRecords(20));
    const hits = (keys: Map<string, Buffer>): string[] =>
      [...keys]
        .filter(([, bytes]) => Object.keys(occurrences(bytes, needles)).length > 0)
        .map(([key]) => key);
    expect(hits(await readable(store.keyPrefix)).length).toBeGreaterThan(0);

    expect(await store.erase({ visitorId: byVisitor.visitor })).toEqual({ erased: 2, held: 0 });
    expect(await store.erase({ email: byEmail.email })).toEqual({ erased: 1, held: 0 });
    await store.close?.();
    expect(hits(await readable(store.keyPrefix))).toEqual([]);
  });
});
