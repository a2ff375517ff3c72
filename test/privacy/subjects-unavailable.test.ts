import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AccessRecord,
  MemoryStore,
  type PrivacyLogMiddleware,
  presets,
  privacyLog,
  SqliteStore,
} from '../../src/index.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, setCookies, spyLogger } from '../helpers/app.js';
import { makeRecord } from '../helpers/records.js';

const SAME = { 'Sec-Fetch-Site': 'same-origin' };
const pair = (line: string | undefined) => line?.split(';')[0] ?? '';
const find = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-unavailable-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A second store that is down: every call either rejects at once (a refused connection) or never
 * settles (a network black hole). It can be read and erase, so the privacy routes must ask it.
 */
function downStore(kind: 'rejects' | 'hangs'): Store {
  const fail = (): Promise<never> =>
    kind === 'rejects'
      ? Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:5432'))
      : new Promise<never>(() => {});
  return {
    name: 'backup',
    write: () => fail(),
    read: () => ({ [Symbol.asyncIterator]: () => ({ next: () => fail() }) }),
    erase: () => fail(),
  };
}

async function readAll(store: Store): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  for await (const record of store.read!({})) out.push(record);
  return out;
}

/**
 * The delivery settings are the defaults (10 s per attempt, retries until the store is back):
 * waiting for the down store would never end, so every wait here is bounded.
 */
function site(stores: Store[]): { app: Express; log: PrivacyLogMiddleware } {
  const log = privacyLog({
    policy: presets.classic,
    store: stores,
    secret: SECRET,
    logger: spyLogger(),
    warnings: false,
    batch: { maxDelayMs: 5 },
    retention: { enabled: false },
  });
  const app = express();
  app.use(log);
  app.use(log.router({ dataTimeoutMs: 300 }));
  app.get('/', (_req, res) => {
    res.send('home');
  });
  return { app, log };
}

for (const kind of ['rejects', 'hangs'] as const) {
  describe(`with a second store that ${kind}`, () => {
    let sqlite: SqliteStore;
    let app: Express;
    let log: PrivacyLogMiddleware;
    let cookie: string;
    let visitorId: string;

    beforeAll(async () => {
      sqlite = new SqliteStore({ path: join(dir, `${kind}.sqlite`) });
      ({ app, log } = site([sqlite, downStore(kind)]));
      cookie = pair(find(setCookies(await request(app).get('/')), 'pl_vid'));
      await request(app).get('/').set('Cookie', cookie);
      await request(app).get('/');
      // Read straight from the healthy store: the logger's own flush would wait for the down one.
      // The first records wait for the GeoIP data, which loads slowly on a busy machine.
      await vi.waitFor(async () => expect(await readAll(sqlite)).toHaveLength(3), {
        timeout: 15_000,
        interval: 20,
      });
      const mine = await readAll(sqlite);
      visitorId = mine[0]!.nonessential!.visitorId!;
    });
    afterAll(() => log.close({ timeoutMs: 100 }));

    it('my-data answers with the healthy store’s records and names the store it could not reach', async () => {
      const res = await request(app).get('/privacy/my-data').set('Cookie', cookie);
      expect(res.status).toBe(200);
      const body = JSON.parse(res.text);
      expect(body.records.map((r: { record: AccessRecord }) => r.record.essential.path)).toEqual([
        '/',
        '/',
      ]);
      expect(
        body.records.every(
          (r: { record: AccessRecord }) => r.record.nonessential?.visitorId === visitorId,
        ),
      ).toBe(true);
      expect(body.unavailable).toEqual(['backup']);
    });

    it('the operator’s export takes its own bound and says why a store is missing', async () => {
      const found = await log.subjects.export({ visitorId }, { timeoutMs: 200 });
      expect(found.records.length).toBeGreaterThanOrEqual(2);
      expect(found.records.every((r) => r.stores.join() === 'SqliteStore')).toBe(true);
      // A store that rejects is either still retrying the records it was sent, or done with
      // them and refusing the read.
      const reason =
        kind === 'rejects'
          ? expect.stringMatching(
              /^(connect ECONNREFUSED 10\.0\.0\.7:5432|no answer within 200 ms)$/,
            )
          : 'no answer within 200 ms';
      expect(found.unavailable).toEqual([{ store: 'backup', reason }]);
    });

    it('erase erases in the healthy store, keeps the cookie and names the unreachable store', async () => {
      const res = await request(app).post('/privacy/erase').set('Cookie', cookie).set(SAME);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ ok: false, complete: false, unavailable: ['backup'] });
      // Both visits and the my-data request above, each once.
      expect(res.body.erased).toBe(3);
      // The visitor can ask again once the store is back: the id stays.
      expect(find(setCookies(res), 'pl_vid')).toBeUndefined();
      const left = (await readAll(sqlite)).filter((r) => r.nonessential?.visitorId === visitorId);
      expect(left).toEqual([]);
    });

    it('a form post gets a page that says which store could not be reached', async () => {
      await request(app).get('/').set('Cookie', cookie);
      const res = await request(app)
        .post('/privacy/erase')
        .set('Cookie', cookie)
        .set(SAME)
        .type('form')
        .send('confirm=1');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toMatch(/1 record was erased/);
      expect(res.text).toContain('could not be reached: backup');
      expect(
        (await readAll(sqlite)).filter((r) => r.nonessential?.visitorId === visitorId),
      ).toEqual([]);
    });
  });
}

describe('shutdown after a request gave up on a hung store', () => {
  it('does not wait for the store call that was left behind', async () => {
    const memory = new MemoryStore();
    const { log } = site([memory, downStore('hangs')]);
    await memory.write([makeRecord({ nonessential: { visitorId: 'v1' } })]);
    const erased = await log.subjects.erase({ visitorId: 'v1' }, { timeoutMs: 50 });
    expect(erased).toMatchObject({ erased: 1, unavailable: [{ store: 'backup' }] });
    // The hung store's erase never returns; closing must not wait the whole deadline for it
    // (the test's own timeout is far shorter than this deadline).
    await log.close({ timeoutMs: 600_000 });
    await expect(log.subjects.export({ visitorId: 'v1' })).rejects.toThrow(/closed/);
  });
});
