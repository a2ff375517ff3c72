import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryStore, presets, SqliteStore } from '../../src/index.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import type { Store } from '../../src/stores/store.js';
import { makeApp, setCookies } from '../helpers/app.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from '../stores/redis-helpers.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * One visitor's whole life in the log, across every store at once, with the clock under the
 * test's control: `client` goes at its expiry, the record at its last one, a held record survives
 * both and erasure, and goes once the hold is released. Retention in `ccpa`: client 1 year,
 * essential 2 years.
 */
function visitorLifecycle(stores: () => Store[]): void {
  it('retention, a legal hold and erasure agree in every store', async () => {
    const all = stores();
    const { app, log } = makeApp({
      policy: presets.ccpa,
      store: all,
      warnings: false,
      retention: { enabled: false },
    });
    try {
      const start = Date.now();
      const first = await request(app).get('/');
      const cookie = setCookies(first)
        .find((c) => c.startsWith('pl_vid='))!
        .split(';')[0]!;
      await request(app).get('/').set('Cookie', cookie);
      await request(app).get('/').set('Cookie', cookie);
      const visitorId = decodeURIComponent(cookie.slice('pl_vid='.length)).slice(2).split('.')[0]!;
      const names = all.map((store) => store.name);

      let found = await log.subjects.export({ visitorId });
      expect(found.records).toHaveLength(3);
      for (const entry of found.records) expect(entry.stores).toEqual(names);
      const heldId = found.records[0]!.record.id;
      await log.holds.add({ reason: 'case', scope: { ids: [heldId] }, reviewAt: 'P30D' });

      await log.purge(new Date(start + 366 * DAY));
      found = await log.subjects.export({ visitorId });
      expect(
        found.records.map((r) => [r.held, r.record.client !== undefined, r.stores.length]),
      ).toEqual([
        [true, true, names.length],
        [false, false, names.length],
        [false, false, names.length],
      ]);

      await log.purge(new Date(start + 731 * DAY));
      found = await log.subjects.export({ visitorId });
      expect(found.records.map((r) => r.record.id)).toEqual([heldId]);

      const erase = await request(app)
        .post('/privacy/erase')
        .set('Cookie', cookie)
        .set('Sec-Fetch-Site', 'same-origin');
      // One record, held in every store: counted once.
      expect(erase.body).toMatchObject({ erased: 0, held: 1, complete: true });
      expect(setCookies(erase).find((c) => c.startsWith('pl_vid='))).toContain('Max-Age=0');
      const myData = JSON.parse(
        (await request(app).get('/privacy/my-data').set('Cookie', cookie)).text,
      );
      // The visitor's own export shows no hold flags (they could tip off an investigation).
      expect(myData.records).toEqual([{ record: expect.objectContaining({ id: heldId }) }]);

      expect(await log.holds.release((await log.holds.list())[0]!.id)).toBe(true);
      const erased = await log.subjects.erase({ visitorId });
      // The held record and the my-data request's own record, kept in every store, each counted
      // once; every store says what it erased.
      expect(erased).toMatchObject({
        erased: 2,
        held: 0,
        unsupported: [],
        stores: names.map((store) => ({ store, erased: 2, held: 0 })),
      });
      expect((await log.subjects.export({ visitorId })).records).toEqual([]);
    } finally {
      await log.close();
    }
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-every-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

serviceSuite(
  'PG_URL',
  'subject rights and retention with PostgreSQL beside the built-in stores',
  (url) => {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
    pool.on('error', () => {});
    const table = uniqueName('epl_every');
    afterAll(async () => {
      await pool.query(
        `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
      );
      await pool.end();
    });
    visitorLifecycle(() => [
      new MemoryStore(),
      new SqliteStore({ path: join(dir, 'pg-side.sqlite') }),
      new PostgresStore({ pool, table }),
    ]);
  },
);

serviceSuite(
  'REDIS_URL',
  'subject rights and retention with Redis beside the built-in stores',
  (url) => {
    const client = createClient({ url, disableOfflineQueue: true });
    client.on('error', () => {});
    const prefix = uniqueName('epl-every');
    beforeAll(async () => {
      await client.connect();
    });
    afterAll(async () => {
      await deleteKeys(client, `{${prefix}}`);
      await client.quit();
    });
    visitorLifecycle(() => [
      new MemoryStore(),
      new SqliteStore({ path: join(dir, 'redis-side.sqlite') }),
      new RedisStreamStore({ client, prefix }),
    ]);
  },
);

visitorLifecycle(() => [new MemoryStore(), new SqliteStore({ path: join(dir, 'alone.sqlite') })]);
