// `node bench/store-writes.js [records] [--indexes]`: write rates of the stores, batch after batch as the
// dispatcher writes them (500 records, one batch in flight), from the build in dist/. PostgreSQL
// and Redis are measured when PG_URL and REDIS_URL are set. For PostgreSQL it measures the store
// both ways it loads a batch (COPY through pg-copy-streams, and with copy: false its INSERT ...
// SELECT FROM jsonb_array_elements($1)), then two raw ways for comparison: that INSERT alone, and
// COPY into a staging table followed by INSERT ... ON CONFLICT. With --indexes, then the cost of
// each of the SQLite table's indexes per row (bench/sqlite-indexes.js).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PostgresStore } from '../dist/entries/postgres.js';
import { RedisStreamStore } from '../dist/entries/redis.js';
import { contractRecord } from '../dist/entries/testing.js';
import { SqliteStore } from '../dist/index.js';
import { batchJson, insertSql, tableNames } from '../dist/internal/index.js';

const indexes = process.argv.includes('--indexes');
const total = Number(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 50_000);
const BATCH = 500;
let serial = 0;
/** Fresh records, a millisecond apart, with a realistic shape. */
function batch() {
  return Array.from({ length: BATCH }, () => {
    serial++;
    return contractRecord(serial, { time: new Date(Date.now() - 1e6 + serial).toISOString() });
  });
}

async function rate(name, write) {
  const batches = Array.from({ length: Math.ceil(total / BATCH) }, batch);
  const started = performance.now();
  for (const records of batches) await write(records);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${name.padEnd(34)} ${Math.round(total / seconds).toLocaleString('en')} rows/s`);
}

const dir = mkdtempSync(join(tmpdir(), 'epl-bench-'));
try {
  const sqlite = new SqliteStore({ path: join(dir, 'bench.sqlite') });
  await sqlite.init();
  await rate('SqliteStore', (records) => sqlite.write(records));
  await sqlite.close();

  if (process.env.PG_URL) {
    const { default: pg } = await import('pg');
    const { from: copyFrom } = await import('pg-copy-streams');
    const pool = new pg.Pool({ connectionString: process.env.PG_URL, max: 4 });
    const table = `epl_bench_${process.pid}`;
    const t = tableNames(table);
    const drop = () =>
      pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_schema" CASCADE`);
    const fresh = async (options = {}) => {
      await drop();
      const store = new PostgresStore({ pool, table, ...options });
      await store.init();
      return store;
    };
    try {
      const store = await fresh();
      await rate(`PostgresStore (${store.writeMethod})`, (records) => store.write(records));
      const inserting = await fresh({ copy: false });
      await rate('PostgresStore (insert, copy: false)', (records) => inserting.write(records));
      await fresh();
      await rate('raw INSERT ... jsonb_array_elements', (records) =>
        pool.query(insertSql(t), [batchJson(records)]),
      );
      await fresh();
      const columns =
        'time, id, visitor_id, email, held, exp_client, exp_essential, exp_nonessential, exp_optional, exp_security, record';
      const copyText = (value) =>
        value === null
          ? '\\N'
          : String(value)
              .replaceAll('\\', '\\\\')
              .replaceAll('\n', '\\n')
              .replaceAll('\r', '\\r')
              .replaceAll('\t', '\\t');
      await rate('raw COPY + INSERT ON CONFLICT', async (records) => {
        const rows = JSON.parse(batchJson(records)).map((x) =>
          [x.t, x.i, x.v, x.e, x.h, x.c, x.s, x.n, x.o, x.y, JSON.stringify(x.r)]
            .map(copyText)
            .join('\t'),
        );
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(
            `CREATE TEMP TABLE IF NOT EXISTS staging (LIKE ${t.base}) ON COMMIT DELETE ROWS`,
          );
          await pipeline(
            Readable.from([`${rows.join('\n')}\n`]),
            client.query(copyFrom(`COPY staging (${columns}) FROM STDIN`)),
          );
          await client.query(
            `INSERT INTO ${t.base} (${columns}) SELECT ${columns} FROM staging ON CONFLICT DO NOTHING`,
          );
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      });
    } finally {
      await drop();
      await pool.end();
    }
  }

  if (process.env.REDIS_URL) {
    const { createClient } = await import('redis');
    const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
    await client.connect();
    const prefix = `epl-bench-${process.pid}`;
    const store = new RedisStreamStore({ client, prefix });
    await store.init();
    await rate('RedisStreamStore', (records) => store.write(records));
    for await (const keys of client.scanIterator({ MATCH: `{${prefix}}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
    await client.quit();
  }
  if (indexes) {
    const { measureIndexes } = await import('./sqlite-indexes.js');
    await measureIndexes();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
