import pg from 'pg';
import { createClient, RESP_TYPES } from 'redis';
import { afterAll, expect, it } from 'vitest';
import { PostgresStore } from '../../src/stores/postgres-store.js';
import { RedisStreamStore } from '../../src/stores/redis-stream-store.js';
import { fillerRecords, markedRecord, markers, occurrences } from '../helpers/markers.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from './redis-helpers.js';

serviceSuite('PG_URL', 'PostgresStore: erased records are gone from the table files', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  const table = uniqueName('epl_disk');

  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_holds, ${table}_schema CASCADE`);
    await pool.end();
  });

  /** Bytes of every relation file of the store's tables (heap, TOAST and indexes), by name. */
  const relationFiles = async (): Promise<Map<string, { kind: string; bytes: Buffer }>> => {
    // Dirty pages reach the files at a checkpoint; the files are then what a copy of the data
    // directory would hold. pg_read_binary_file needs superuser rights, as a test server gives.
    await pool.query('CHECKPOINT');
    const { rows } = await pool.query<{ name: string; kind: string; path: string }>(
      `SELECT c.oid::regclass::text AS name, c.relkind::text AS kind,
              pg_relation_filepath(c.oid) AS path
         FROM pg_class c
        WHERE (c.relname LIKE $1 OR c.oid IN (
                SELECT reltoastrelid FROM pg_class WHERE relname LIKE $1))
          AND pg_relation_filepath(c.oid) IS NOT NULL`,
      [`${table}%`],
    );
    const out = new Map<string, { kind: string; bytes: Buffer }>();
    for (const row of rows) {
      const read = await pool.query<{ b: Buffer }>('SELECT pg_read_binary_file($1) AS b', [
        row.path,
      ]);
      out.set(row.name, { kind: row.kind, bytes: read.rows[0]!.b });
    }
    return out;
  };

  it('erasure by visitor id and e-mail: no marker in any table file of the store', async () => {
    const store = new PostgresStore({ pool, table, partitionsAheadDays: 1 });
    await store.init();
    const byVisitor = markers('pv');
    const byEmail = markers('pe');
    const needles = [...Object.values(byVisitor), ...Object.values(byEmail)];
    await store.write(fillerRecords(40));
    await store.write([markedRecord(byVisitor), markedRecord(byVisitor), markedRecord(byEmail)]);
    await store.write(fillerRecords(40));
    const before = [...(await relationFiles()).values()].map((f) => occurrences(f.bytes, needles));
    expect(before.some((found) => Object.keys(found).length > 0)).toBe(true);

    expect(await store.erase({ visitorId: byVisitor.visitor })).toEqual({ erased: 2, held: 0 });
    expect(await store.erase({ email: byEmail.email })).toEqual({ erased: 1, held: 0 });
    await store.close();

    const leftovers: Record<string, Record<string, number>> = {};
    for (const [name, file] of await relationFiles()) {
      // Tables ('r'), partitions and TOAST ('t'): the records themselves. Index pages ('i') may
      // keep a deleted key's bytes in their free space; docs/stores.md says so.
      if (file.kind === 'i') continue;
      const found = occurrences(file.bytes, needles);
      if (Object.keys(found).length > 0) leftovers[name] = found;
    }
    expect(leftovers).toEqual({});
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
