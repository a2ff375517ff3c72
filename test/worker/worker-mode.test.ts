import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import express from 'express';
import pg from 'pg';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryStore, presets, privacyLog, SqliteStore } from '../../src/index.js';
import type { PrivacyLogOptions } from '../../src/options.js';
import type { AccessRecord } from '../../src/record.js';
import { verifyVisitorId } from '../../src/request/cookies.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, setCookies, spyLogger } from '../helpers/app.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from '../stores/redis-helpers.js';

const FILE_STORE = new URL('../fixtures/file-store.mjs', import.meta.url).pathname;
const DAY = 24 * 60 * 60 * 1000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-worker-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A store of the app's own: an object with live state, so it stays on the serving thread. */
function customStore() {
  const records: AccessRecord[] = [];
  const threads = new Set<boolean>();
  return {
    records,
    threads,
    store: {
      name: 'custom',
      write(batch: readonly AccessRecord[]) {
        threads.add(isMainThread);
        records.push(...batch);
      },
    } satisfies Store,
  };
}

function site(options: Partial<PrivacyLogOptions>) {
  const logger = spyLogger();
  const log = privacyLog({
    // Opt-out, so a visitor cookie from the first request; no company lookup to load.
    policy: presets.ccpa,
    secret: SECRET,
    logger,
    warnings: false,
    worker: true,
    batch: { maxDelayMs: 5 },
    retention: { enabled: false },
    ...options,
  });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(log);
  app.use(log.router());
  app.get('/:page', (req, res) => {
    res.send(req.params.page);
  });
  return { app, log, logger };
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

function invariant(stats: ReturnType<ReturnType<typeof privacyLog>['stats']>): void {
  for (const s of stats.stores) {
    const dropped = Object.values(s.dropped).reduce((sum, n) => sum + n, 0);
    expect(s.accepted, s.name).toBe(s.written + dropped + s.buffered);
  }
}

describe('worker mode: a SQLite store in the worker beside a store of the app on the serving thread', () => {
  it('both receive every record; stats are synchronous and balanced at every read', async () => {
    const custom = customStore();
    const path = join(dir, 'beside.sqlite');
    const { app, log, logger } = site({ store: [new SqliteStore({ path }), custom.store] });
    try {
      for (let i = 0; i < 30; i++) {
        await request(app).get(`/p${i}`).set('X-Forwarded-For', '203.0.113.9');
      }
      // Counted on the serving thread as they are handed over, before the worker has seen them.
      expect(log.stats().accepted).toBe(30);
      const reads: boolean[] = [];
      const flushing = log.flush();
      const poll = setInterval(() => {
        invariant(log.stats());
        reads.push(true);
      }, 1);
      await flushing;
      clearInterval(poll);
      invariant(log.stats());
      expect(log.stats().stores.map((s) => [s.name, s.written, s.buffered])).toEqual([
        ['SqliteStore', 30, 0],
        ['custom', 30, 0],
      ]);
      // The custom store was written on the serving thread, with the records the worker made.
      expect([...custom.threads]).toEqual([true]);
      expect(custom.records).toHaveLength(30);
      expect(custom.records[0]!.client?.ip).toBe('203.0.113.0');
      await log.close();
      // Nothing went wrong: the only lines are each store's closing counts, at info level.
      expect(logger.calls.filter((call) => call.level !== 'info')).toEqual([]);
      // Closed in the worker: the file holds every record.
      const check = new SqliteStore({ path });
      await check.init();
      const ids: string[] = [];
      for await (const record of check.read({})) ids.push(record.id);
      await check.close();
      expect(ids.sort()).toEqual(custom.records.map((r) => r.id).sort());
      // After close, requests are still answered and counted as closed.
      await request(app).get('/late');
      const after = log.stats();
      expect(after.stores[0]).toMatchObject({ accepted: 31, written: 30, buffered: 0 });
      expect(after.stores[0]!.dropped.closed).toBe(1);
      invariant(after);
    } finally {
      await log.close();
    }
  });

  it('retention, holds and subject rights reach the worker and agree across both stores', async () => {
    const memory = new MemoryStore();
    const { app, log } = site({
      policy: presets.ccpa,
      store: [memory, new SqliteStore({ path: join(dir, 'rights.sqlite') })],
    });
    try {
      const start = Date.now();
      const first = await request(app).get('/a');
      const cookie = setCookies(first)
        .find((c) => c.startsWith('pl_vid='))!
        .split(';')[0]!;
      await request(app).get('/b').set('Cookie', cookie);
      await request(app).get('/c').set('Cookie', cookie);
      const visitorId = decodeURIComponent(cookie.slice('pl_vid='.length)).slice(2).split('.')[0]!;

      let found = await log.subjects.export({ visitorId });
      expect(found.records.map((r) => r.stores)).toEqual([
        ['MemoryStore', 'SqliteStore'],
        ['MemoryStore', 'SqliteStore'],
        ['MemoryStore', 'SqliteStore'],
      ]);
      const heldId = found.records[0]!.record.id;
      const placed = await log.holds.add({
        id: 'case-7',
        reason: 'dispute',
        scope: { ids: [heldId] },
        reviewAt: 'P30D',
      });
      expect(placed.stores).toEqual([
        { store: 'MemoryStore', covered: 1 },
        { store: 'SqliteStore', covered: 1 },
      ]);
      expect((await log.holds.list()).map((h) => [h.id, h.stores])).toEqual([
        ['case-7', ['MemoryStore', 'SqliteStore']],
      ]);

      const purged = await log.purge(new Date(start + 731 * DAY));
      expect(purged.stores.map((s) => [s.store, s.deleted])).toEqual([
        ['MemoryStore', 2],
        ['SqliteStore', 2],
      ]);
      found = await log.subjects.export({ visitorId });
      expect(found.records.map((r) => [r.record.id, r.held])).toEqual([[heldId, true]]);

      expect(await log.holds.release('case-7')).toBe(true);
      const erased = await log.subjects.erase({ visitorId });
      // The same record in both stores counts once.
      expect(erased).toMatchObject({ erased: 1, held: 0, unsupported: [] });
      expect((await log.subjects.export({ visitorId })).records).toEqual([]);
    } finally {
      await log.close();
    }
  });
});

describe('worker mode: new visitor ids signed by the worker', () => {
  it('issues ids the serving thread did not sign: unique, valid under the secret, recorded', async () => {
    const memory = new MemoryStore();
    const { app, log } = site({
      store: memory,
      secret: [SECRET, 'an-older-secret-0123456789-abcdefghij'],
    });
    try {
      // The first ids are asked for when the worker starts; a flush answers after them.
      await request(app).get('/warm').expect(200);
      await log.flush();
      const hmacs = vi.spyOn(crypto, 'createHmac');
      const cookies: string[] = [];
      try {
        for (let i = 0; i < 40; i++) {
          const res = await request(app).get(`/page-${i}`).expect(200);
          cookies.push(setCookies(res).find((line) => line.startsWith('pl_vid='))!);
        }
        // Neither signed nor verified here: the cookies coming back were known as issued.
        await request(app).get('/again').set('Cookie', cookies[0]!.split(';')[0]!).expect(200);
        expect(hmacs).not.toHaveBeenCalled();
      } finally {
        hmacs.mockRestore();
      }
      const ids = cookies.map((line) => {
        const value = decodeURIComponent(line.split(';')[0]!.slice('pl_vid='.length));
        const id = verifyVisitorId(value, [SECRET]);
        expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
        return id!;
      });
      expect(new Set(ids).size).toBe(ids.length);
      await log.flush();
      const recorded = memory.records.filter((r) => r.essential.path.startsWith('/page-'));
      expect(recorded.map((r) => r.nonessential?.visitorId).sort()).toEqual([...ids].sort());
      const again = memory.records.find((r) => r.essential.path === '/again');
      expect(again?.nonessential?.visitorId).toBe(ids[0]);
    } finally {
      await log.close();
    }
  });
});

describe('worker mode: a store given as { module, options }', () => {
  it.each([true, false])('is loaded and written (worker: %s)', async (worker) => {
    const file = join(dir, `module-${worker}.ndjson`);
    const { app, log } = site({ worker, store: { module: FILE_STORE, options: { file } } });
    try {
      await request(app).get('/one');
      await request(app).get('/two');
      await log.flush();
      expect(log.stats().stores[0]).toMatchObject({ name: 'file-store', written: 2, buffered: 0 });
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as AccessRecord).essential.path)).toEqual([
        '/one',
        '/two',
      ]);
      // Its read() is found once it has loaded: exports include it.
      expect((await log.subjects.export({ email: 'nobody@example.org' })).unreadable).toEqual([]);
    } finally {
      await log.close();
    }
  });

  it('a module that cannot be loaded: requests are answered, its records are counted as dropped', async () => {
    const { app, log, logger } = site({
      store: { module: join(dir, 'no-such-store.mjs') },
      retries: 0,
    });
    try {
      await request(app).get('/x').expect(200);
      await log.flush();
      expect(log.stats().stores[0]).toMatchObject({ written: 0, buffered: 0 });
      expect(log.stats().stores[0]!.dropped.storeError).toBe(1);
      expect(logger.codes()).toContain('ERR_STORE_INIT');
    } finally {
      await log.close();
    }
  });
});

describe('worker mode: the counters follow the worker without a flush', () => {
  it('shows records written, and the failures of a store in backoff, as they happen', async () => {
    const { app, log } = site({
      store: [
        new SqliteStore({ path: join(dir, 'follow.sqlite') }),
        { module: join(dir, 'gone.mjs') },
      ],
      retryMaxDelayMs: 20,
    });
    try {
      await request(app).get('/a').expect(200);
      // No flush: the worker publishes what moved, within a few milliseconds.
      await waitFor(() => log.stats().stores[0]!.written === 1);
      // The missing module fails every attempt and keeps its record (unlimited retries): nothing
      // leaves that store, yet each failure shows.
      await waitFor(() => log.stats().stores[1]!.failures >= 3);
      const broken = log.stats().stores[1]!;
      expect(broken).toMatchObject({ written: 0, buffered: 1 });
      expect(broken.lastError).toBeDefined();
      invariant(log.stats());
    } finally {
      await log.close({ timeoutMs: 100 });
    }
  });
});

describe('worker mode: a store that blocks its thread (a frozen file system)', () => {
  it('leaves the serving thread answering; the records arrive after the thaw', async () => {
    const file = join(dir, 'frozen.ndjson');
    const frozenFile = join(dir, 'frozen.flag');
    const thawFile = join(dir, 'thaw.flag');
    const { app, log } = site({
      policy: presets.strict,
      store: { module: FILE_STORE, options: { file, frozenFile, thawFile } },
      batch: { size: 5, maxDelayMs: 1 },
    });
    try {
      await request(app).get('/first').expect(200);
      await waitFor(() => existsSync(frozenFile));
      // The store's thread is blocked in a synchronous write from here until the thaw; requests
      // are answered all the same (in-process, none would be answered until the thaw).
      for (let i = 0; i < 20; i++) await request(app).get(`/during${i}`).expect(200);
      expect(existsSync(thawFile)).toBe(false);
      expect(log.stats().stores[0]).toMatchObject({ accepted: 21, written: 0 });
      await writeFile(thawFile, 'thaw');
      await log.flush();
      expect(log.stats().stores[0]).toMatchObject({ accepted: 21, written: 21, buffered: 0 });
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(21);
    } finally {
      await writeFile(thawFile, 'thaw');
      await log.close();
    }
  });
});

describe('worker mode falls back to the serving thread when the worker cannot do the work', () => {
  it('with a redactPath hook, says why (WRN_WORKER_FALLBACK) and applies the hook', async () => {
    const store = new MemoryStore();
    const logger = spyLogger();
    const log = privacyLog({
      policy: presets.strict,
      store,
      logger,
      worker: true,
      batch: { maxDelayMs: 1 },
      redactPath: (path) => path.replace(/\/orders\/[^/]+/, '/orders/:order'),
    });
    const app = express()
      .use(log)
      .get('/orders/:id', (_req, res) => {
        res.send('ok');
      });
    await request(app).get('/orders/A7K-22');
    await log.flush();
    expect(store.records.map((r) => r.essential.path)).toEqual(['/orders/:order']);
    const warning = logger.calls.find((c) => c.details.code === 'WRN_WORKER_FALLBACK');
    expect(warning?.details.reason).toContain('redactPath');
    await log.close();
  });
});

serviceSuite('PG_URL', 'worker mode: PostgresStore from a connection string', (url) => {
  const table = uniqueName('epl_worker');
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  afterAll(async () => {
    await pool.query(
      `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
    );
    await pool.end();
  });

  it('is opened, written and erased in the worker, and describes itself for it', async () => {
    const given = new PostgresStore({ connectionString: url, table });
    expect(new PostgresStore({ pool, table }).name).toBe('PostgresStore');
    const { app, log } = site({ store: given });
    try {
      const first = await request(app).get('/pg');
      const cookie = setCookies(first)
        .find((c) => c.startsWith('pl_vid='))!
        .split(';')[0]!;
      await request(app).get('/pg2').set('Cookie', cookie);
      await log.flush();
      expect(log.stats().stores[0]).toMatchObject({ name: 'PostgresStore', written: 2 });
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${table}"`);
      expect(rows[0]).toEqual({ n: 2 });
      const visitorId = decodeURIComponent(cookie.slice('pl_vid='.length)).slice(2).split('.')[0]!;
      expect((await log.subjects.export({ visitorId })).records).toHaveLength(2);
      expect(await log.subjects.erase({ visitorId })).toMatchObject({ erased: 2 });
    } finally {
      await log.close();
    }
  });
});

serviceSuite('REDIS_URL', 'worker mode: RedisStreamStore from a URL', (url) => {
  const prefix = uniqueName('epl-worker');
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => {});
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await deleteKeys(client, `{${prefix}}`);
    await client.quit();
  });

  it('is opened and written in the worker; reads come back through the logger', async () => {
    const { app, log } = site({ store: new RedisStreamStore({ url, prefix }) });
    try {
      const first = await request(app).get('/redis');
      const cookie = setCookies(first)
        .find((c) => c.startsWith('pl_vid='))!
        .split(';')[0]!;
      await log.flush();
      expect(log.stats().stores[0]).toMatchObject({ name: 'RedisStreamStore', written: 1 });
      const visitorId = decodeURIComponent(cookie.slice('pl_vid='.length)).slice(2).split('.')[0]!;
      const found = await log.subjects.export({ visitorId });
      expect(found.records.map((r) => r.record.essential.path)).toEqual(['/redis']);
    } finally {
      await log.close();
    }
  });
});
