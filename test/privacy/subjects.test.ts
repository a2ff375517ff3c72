import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccessRecord,
  MemoryStore,
  NdjsonStore,
  type PrivacyLogMiddleware,
  presets,
  privacyLog,
  SqliteStore,
} from '../../src/index.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, setCookies, spyLogger } from '../helpers/app.js';
import { makeRecord } from '../helpers/records.js';

const pair = (line: string | undefined) => line?.split(';')[0] ?? '';
const find = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`));
const SAME = { 'Sec-Fetch-Site': 'same-origin' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-subjects-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(store: Store): Promise<AccessRecord[]> {
  // In worker mode the logger opens its own connection in the worker, not this object's.
  await store.init?.();
  const out: AccessRecord[] = [];
  for await (const record of store.read!({})) out.push(record);
  return out;
}

/** A site logging to several stores, with a contact form and the privacy routes. */
function site(stores: Store[], name: string): { app: Express; log: PrivacyLogMiddleware } {
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
  app.use(log.router({ notice: { site: name, contact: 'privacy@shop.example' } }));
  app.get('/', (_req, res) => {
    res.send('home');
  });
  app.post('/contact', express.urlencoded({ extended: false }), (req, res) => {
    req.privacyLog?.optional(req.body ?? {});
    res.send('thanks');
  });
  return { app, log };
}

describe('a visitor’s own data: GET /privacy/my-data and POST /privacy/erase', () => {
  const memory = new MemoryStore();
  let sqlite: SqliteStore;
  let app: Express;
  let log: PrivacyLogMiddleware;
  let cookie: string;
  let otherCookie: string;

  beforeAll(async () => {
    sqlite = new SqliteStore({ path: join(dir, 'visitor.sqlite') });
    ({ app, log } = site([memory, sqlite], 'Shop <Example>'));
    const first = await request(app).get('/');
    cookie = pair(find(setCookies(first), 'pl_vid'));
    const other = await request(app).get('/');
    otherCookie = pair(find(setCookies(other), 'pl_vid'));
    await request(app).get('/').set('Cookie', cookie);
    await request(app)
      .post('/contact')
      .set('Cookie', cookie)
      .type('form')
      .send('email=me@x.example');
    await request(app).get('/').set('Cookie', otherCookie);
    // The first records wait for the GeoIP data; on a busy machine that takes longer than the
    // privacy routes wait for the stores.
    await log.flush();
  });
  afterAll(() => log.close());

  it('downloads every record of the visitor, from every store, and nobody else’s', async () => {
    const res = await request(app).get('/privacy/my-data').set('Cookie', cookie);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="my-data.json"');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(res.text);
    expect(body.records).toHaveLength(3);
    const visitorIds = new Set(
      body.records.map((r: { record: AccessRecord }) => r.record.nonessential?.visitorId),
    );
    expect(visitorIds.size).toBe(1);
    expect(body.records.map((r: { record: AccessRecord }) => r.record.essential.path)).toEqual([
      '/',
      '/',
      '/contact',
    ]);
    // No hold flags in the visitor's own export: they would tip off someone under investigation.
    expect(body).not.toHaveProperty('held');
    expect(body.records.every((r: object) => !('held' in r))).toBe(true);
    expect(res.text).not.toContain('SqliteStore');
  });

  it('gives a visitor without a valid cookie an empty export, never someone else’s data', async () => {
    for (const header of ['', 'pl_vid=s%3Aforged.signature', `${cookie.slice(0, -3)}abc`]) {
      const res = await request(app).get('/privacy/my-data').set('Cookie', header);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ records: [] });
    }
  });

  it('serves personal data to no other site’s script', async () => {
    const res = await request(app)
      .get('/privacy/my-data')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'cross-site')
      .set('Sec-Fetch-Mode', 'cors');
    expect(res.status).toBe(403);
    const followed = await request(app)
      .get('/privacy/my-data')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'cross-site')
      .set('Sec-Fetch-Mode', 'navigate');
    expect(followed.status).toBe(200);
  });

  it('refuses an erasure requested from another site', async () => {
    const res = await request(app)
      .post('/privacy/erase')
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.example');
    expect(res.status).toBe(403);
    expect(find(setCookies(res), 'pl_vid')).toBeUndefined();
    const still = JSON.parse(
      (await request(app).get('/privacy/my-data').set('Cookie', cookie)).text,
    );
    expect(still.records.length).toBeGreaterThanOrEqual(3);
  });

  it('erases everywhere, expires the cookie, reports held records; then only held ones remain', async () => {
    await log.flush();
    const [heldRecord] = (await readAll(sqlite)).filter((r) => r.essential.path === '/contact');
    await log.holds.add({
      id: 'case-1',
      reason: 'dispute',
      scope: { ids: [heldRecord!.id] },
      reviewAt: 'P30D',
    });

    const id = heldRecord!.nonessential!.visitorId;
    const mine = (await readAll(memory)).filter((r) => r.nonessential?.visitorId === id);
    const res = await request(app).post('/privacy/erase').set('Cookie', cookie).set(SAME);
    expect(res.status).toBe(200);
    // Both stores keep each record: every one is counted once, not once per store.
    expect(res.body).toEqual({
      ok: true,
      erased: mine.length - 1,
      held: 1,
      complete: true,
      unavailable: [],
      consentWithdrawn: false,
    });
    const expired = find(setCookies(res), 'pl_vid');
    expect(expired).toMatch(/^pl_vid=;/);
    expect(expired).toContain('Max-Age=0');

    const after = JSON.parse(
      (await request(app).get('/privacy/my-data').set('Cookie', cookie)).text,
    );
    // The held record is still there, without its hold flag (the operator's export shows it).
    expect(after).not.toHaveProperty('held');
    expect(after.records).toEqual([{ record: expect.objectContaining({ id: heldRecord!.id }) }]);

    await log.flush();
    for (const store of [memory, sqlite]) {
      const left = (await readAll(store)).filter((r) => r.nonessential?.visitorId === id);
      // The held record, and the my-data request above, which carried the old cookie.
      expect(left.map((r) => r.essential.path).sort()).toEqual(['/contact', '/privacy/my-data']);
    }
    // The erase request's own record does not carry the id it erased.
    const eraseRecords = memory.records.filter((r) => r.essential.path === '/privacy/erase');
    expect(eraseRecords.some((r) => r.nonessential?.visitorId !== undefined)).toBe(false);

    const others = JSON.parse(
      (await request(app).get('/privacy/my-data').set('Cookie', otherCookie)).text,
    );
    expect(others.records).toHaveLength(2);
    await log.holds.release('case-1');
  });

  it('answers a form post with a page that says what happened', async () => {
    const fresh = pair(find(setCookies(await request(app).get('/')), 'pl_vid'));
    await request(app).get('/').set('Cookie', fresh);
    const res = await request(app)
      .post('/privacy/erase')
      .set('Cookie', fresh)
      .set(SAME)
      .type('form')
      .send('confirm=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/\d+ records were erased/);
    expect(find(setCookies(res), 'pl_vid')).toContain('Max-Age=0');
  });

  it('issues no new visitor id in the answer to an erasure without one', async () => {
    const res = await request(app).post('/privacy/erase').set(SAME);
    expect(res.body).toEqual({
      ok: true,
      erased: 0,
      held: 0,
      complete: true,
      unavailable: [],
      consentWithdrawn: false,
    });
    expect(find(setCookies(res), 'pl_vid')).toBeUndefined();
  });

  it('serves the notice as HTML, with the site name escaped, and as Markdown', async () => {
    const res = await request(app).get('/privacy/notice');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.text).toContain('Privacy notice of Shop &lt;Example&gt;');
    expect(res.text).not.toContain('<Example>');
    expect(res.text).toContain('<form method="post" action="/privacy/erase">');
    const md = await request(app).get('/privacy/notice?format=markdown');
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.text).toContain('# Privacy notice of Shop \\<Example\\>');
  });
});

describe('logger.subjects: the operator’s side', () => {
  it('exports and erases by e-mail across stores, flushing first; append-only stores are named', async () => {
    const memory = new MemoryStore();
    const sqlite = new SqliteStore({ path: join(dir, 'operator.sqlite') });
    const ndjson = new NdjsonStore({ destination: join(dir, 'operator.ndjson') });
    const { app, log } = site([memory, sqlite, ndjson], 'Shop');
    await request(app).post('/contact').type('form').send('email=Ann@Example.org&name=Ann');
    await request(app).post('/contact').type('form').send('email=bob@example.org');
    // No flush here: export must include what was just captured.
    const found = await log.subjects.export({ email: 'ann@example.org ' });
    expect(found.records).toHaveLength(1);
    expect(found.records[0]!.stores).toEqual(['MemoryStore', 'SqliteStore', 'NdjsonStore']);
    expect(found.records[0]!.record.optional).toEqual({ email: 'Ann@Example.org', name: 'Ann' });
    expect(found.unreadable).toEqual([]);

    const erased = await log.subjects.erase({ email: 'ANN@example.org' });
    expect(erased).toMatchObject({
      // One record, kept by two stores that can erase.
      erased: 1,
      held: 0,
      unsupported: ['NdjsonStore'],
      stores: [
        { store: 'MemoryStore', erased: 1, held: 0 },
        { store: 'SqliteStore', erased: 1, held: 0 },
      ],
    });
    // The NDJSON log still has the line, but recorded the request and no longer serves it.
    expect(erased.recorded).toEqual(['NdjsonStore']);
    const again = await log.subjects.export({ email: 'ann@example.org' });
    expect(again.records).toEqual([]);
    expect((await log.subjects.export({ email: 'bob@example.org' })).records).toHaveLength(1);
    await log.close();
  });

  it('counts a record kept in several stores once, beside what each store erased', async () => {
    const memory = new MemoryStore();
    const sqlite = new SqliteStore({ path: join(dir, 'count.sqlite') });
    // Cannot be read, so cannot say which records it erased: only how many.
    const eraseOnly: Store = { name: 'erase-only', write: () => {}, erase: () => 21 };
    const { log } = site([memory, sqlite, eraseOnly], 'Shop');
    const records = Array.from({ length: 21 }, () =>
      makeRecord({ nonessential: { visitorId: 'v21' } }),
    );
    await sqlite.init();
    await memory.write(records);
    await sqlite.write(records);
    expect(await log.subjects.erase({ visitorId: 'v21' })).toEqual({
      erased: 21,
      held: 0,
      visibleHeld: 0,
      stores: [
        { store: 'MemoryStore', erased: 21, held: 0 },
        { store: 'SqliteStore', erased: 21, held: 0 },
        { store: 'erase-only', erased: 21, held: 0 },
      ],
      unsupported: [],
      recorded: [],
      unavailable: [],
    });
    await log.close();
  });

  it('counts by id when stores keep different records of the subject, held ones too', async () => {
    const memory = new MemoryStore();
    const sqlite = new SqliteStore({ path: join(dir, 'overlap.sqlite') });
    const { log } = site([memory, sqlite], 'Shop');
    const records = Array.from({ length: 15 }, () =>
      makeRecord({ nonessential: { visitorId: 'v15' } }),
    );
    await sqlite.init();
    await memory.write(records.slice(0, 10));
    await sqlite.write(records.slice(5));
    await log.holds.add({ reason: 'dispute', scope: { ids: [records[7]!.id] }, reviewAt: 'P1D' });
    expect(await log.subjects.erase({ visitorId: 'v15' })).toMatchObject({
      erased: 14,
      held: 1,
      stores: [
        { store: 'MemoryStore', erased: 9, held: 1 },
        { store: 'SqliteStore', erased: 9, held: 1 },
      ],
    });
    await log.close();
  });

  it('refuses a key that is not exactly one non-empty visitor id or e-mail', async () => {
    const { log } = site([new MemoryStore()], 'Shop');
    for (const key of [
      {},
      { visitorId: '' },
      { email: ' ' },
      { visitorId: 'a', email: 'b@c' },
      null,
    ]) {
      await expect(log.subjects.export(key as never)).rejects.toThrow(TypeError);
      await expect(log.subjects.erase(key as never)).rejects.toThrow(TypeError);
    }
    await log.close();
  });

  it('reports held records kept by a store that answers erase with a bare count', async () => {
    const inner = new MemoryStore();
    const legacy: Store = {
      name: 'legacy',
      write: (records) => inner.write(records),
      read: (query) => inner.read(query),
      erase: async (subject) => (await inner.erase(subject)).erased,
    };
    const { log } = site([legacy], 'Shop');
    await inner.write([
      {
        v: 1,
        id: 'r1',
        time: new Date().toISOString(),
        policy: 'classic@1',
        consent: { analytics: true, basis: 'opt-out', gpc: false, dnt: false },
        essential: { method: 'GET', path: '/', status: 200, durationMs: 1 },
        nonessential: { visitorId: 'v' },
        security: { reasons: ['probe'], hold: true },
        expires: {},
      },
    ]);
    expect(await log.subjects.erase({ visitorId: 'v' })).toMatchObject({ erased: 0, held: 1 });
    await log.close();
  });

  it('rejects after close', async () => {
    const { log } = site([new MemoryStore()], 'Shop');
    await log.close();
    await expect(log.subjects.export({ visitorId: 'x' })).rejects.toThrow(/closed/);
    await expect(log.holds.list()).rejects.toThrow(/closed/);
  });
});

describe('logger.holds across stores', () => {
  it('adds, extends, lists and releases a hold in every store that supports holds', async () => {
    const memory = new MemoryStore();
    const sqlite = new SqliteStore({ path: join(dir, 'holds.sqlite') });
    const ndjson = new NdjsonStore({ destination: join(dir, 'holds.ndjson') });
    const { log } = site([memory, sqlite, ndjson], 'Shop');
    const placed = await log.holds.add({
      reason: 'regulator inquiry',
      scope: { from: '2025-01-01', to: '2025-02-01' },
      reviewAt: 'P30D',
    });
    expect(placed.hold.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(placed.hold.scope).toEqual({
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-02-01T00:00:00.000Z',
    });
    expect(placed.stores.map((s) => s.store)).toEqual(['MemoryStore', 'SqliteStore']);
    expect(placed.unprotected).toEqual([]);

    const extended = await log.holds.extend(placed.hold.id, {
      reviewAt: 'P60D',
      reason: 'still open',
    });
    expect(extended.hold.createdAt).toBe(placed.hold.createdAt);
    expect(Date.parse(extended.hold.reviewAt)).toBeGreaterThan(Date.parse(placed.hold.reviewAt));
    const [listed] = await log.holds.list();
    expect(listed).toMatchObject({
      id: placed.hold.id,
      reason: 'still open',
      stores: ['MemoryStore', 'SqliteStore'],
      reviewDue: false,
    });

    await expect(log.holds.add({ reason: 'x', scope: {}, reviewAt: '2001-01-01' })).rejects.toThrow(
      /future/,
    );
    await expect(log.holds.extend('nope', { reviewAt: 'P1D' })).rejects.toThrow(/no legal hold/);
    expect(await log.holds.release(placed.hold.id)).toBe(true);
    expect(await log.holds.release(placed.hold.id)).toBe(false);
    expect(await log.holds.list()).toEqual([]);
    await log.close();
  });

  it('names stores that can delete records but not hold them', async () => {
    const purgeOnly: Store = {
      name: 'purge-only',
      write: () => undefined,
      purge: () => ({ removed: {}, deleted: 0 }),
    };
    const { log } = site([new MemoryStore(), purgeOnly], 'Shop');
    const placed = await log.holds.add({ reason: 'x', scope: {}, reviewAt: 'P1D' });
    expect(placed.unprotected).toEqual(['purge-only']);
    await log.close();
    const none = site([purgeOnly], 'Shop');
    await expect(none.log.holds.add({ reason: 'x', scope: {}, reviewAt: 'P1D' })).rejects.toThrow(
      /no store/,
    );
    await none.log.close();
  });
});
