import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type express from 'express';
import pg from 'pg';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { definePolicy, MemoryStore, presets, SqliteStore } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import type { Store } from '../../src/stores/store.js';
import { makeApp, setCookies } from '../helpers/app.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from '../stores/redis-helpers.js';

const keep = definePolicy({ ...presets.gdpr, name: 'keep', choices: { onWithdraw: 'keep' } });

/** The test site of every suite (helpers/app.ts) on these stores, retention left to the test. */
function site(policy: typeof keep, stores: Store[]) {
  return makeApp({ policy, store: stores, warnings: false, retention: { enabled: false } });
}

/** Opt in (a record with the new visitor id), visit a page from a link, send the contact form. */
async function browse(app: express.Express): Promise<string> {
  const optIn = await request(app).post('/privacy/opt-in').expect(200);
  const jar = setCookies(optIn)
    .map((c) => c.split(';')[0]!)
    .join('; ');
  await request(app).get('/').set('Cookie', jar).set('Referer', 'https://news.example/');
  await request(app)
    .post('/contact')
    .set('Cookie', jar)
    .type('form')
    .send({ email: 'ada@example.org', name: 'Ada' });
  return jar;
}

async function records(store: Store): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  for await (const record of store.read!({})) out.push(record);
  return out;
}

/** What of a store's records is nonessential or optional data tied to a visitor. */
const tied = (all: readonly AccessRecord[]) =>
  all.filter((r) => r.nonessential?.visitorId !== undefined || r.optional !== undefined);

function withdrawalEverywhere(stores: () => Store[]): void {
  it('with erase, the visitor’s nonessential and optional data are gone in every store', async () => {
    const all = stores();
    const { app, log } = site(presets.gdpr, all);
    try {
      const jar = await browse(app);
      await log.flush();
      for (const store of all) expect(tied(await records(store)).length).toBe(3);
      const out = await request(app).post('/privacy/opt-out').set('Cookie', jar).expect(200);
      expect(out.body.withdrawal).toMatchObject({ action: 'erased', complete: true });
      await log.flush();
      for (const store of all) {
        const left = await records(store);
        expect(tied(left)).toEqual([]);
        expect(JSON.stringify(left)).not.toContain('ada@example.org');
        // The ledger of each store keeps the consent and its withdrawal.
        const events = [];
        for await (const event of store.readConsents!({})) events.push(event.choice);
        expect(events).toEqual(['in', 'out']);
      }
    } finally {
      await log.close();
    }
  });

  it('with keep, the data stays in every store, and the visitor can still erase it', async () => {
    const all = stores();
    const { app, log } = site(keep, all);
    try {
      const jar = await browse(app);
      const out = await request(app).post('/privacy/opt-out').set('Cookie', jar).expect(200);
      expect(out.body.withdrawal.action).toBe('kept');
      await log.flush();
      for (const store of all) expect(tied(await records(store)).length).toBe(3);
      const erase = await request(app)
        .post('/privacy/erase')
        .set('Cookie', jar)
        .set('Sec-Fetch-Site', 'same-origin');
      expect(erase.body).toMatchObject({ erased: 3, complete: true });
      await log.flush();
      for (const store of all) {
        expect(tied(await records(store))).toEqual([]);
        expect(JSON.stringify(await records(store))).not.toContain('ada@example.org');
      }
    } finally {
      await log.close();
    }
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-withdraw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

withdrawalEverywhere(() => [
  new MemoryStore(),
  new SqliteStore({ path: join(dir, `alone-${uniqueName('w')}.sqlite`) }),
]);

serviceSuite('PG_URL', 'withdrawal with PostgreSQL beside the built-in stores', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const tables: string[] = [];
  afterAll(async () => {
    for (const table of tables) {
      await pool.query(
        `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
      );
    }
    await pool.end();
  });
  withdrawalEverywhere(() => {
    const table = uniqueName('epl_withdraw');
    tables.push(table);
    return [
      new MemoryStore(),
      new SqliteStore({ path: join(dir, `${table}.sqlite`) }),
      new PostgresStore({ pool, table }),
    ];
  });
});

serviceSuite('REDIS_URL', 'withdrawal with Redis beside the built-in stores', (url) => {
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => {});
  const prefixes: string[] = [];
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeys(client, `{${prefix}}`);
    await client.quit();
  });
  withdrawalEverywhere(() => {
    const prefix = uniqueName('epl-withdraw');
    prefixes.push(prefix);
    return [
      new MemoryStore(),
      new SqliteStore({ path: join(dir, `${prefix}.sqlite`) }),
      new RedisStreamStore({ client, prefix }),
    ];
  });
});
