import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccessRecord,
  NdjsonStore,
  type PrivacyLogMiddleware,
  presets,
  privacyLog,
  SqliteStore,
} from '../../src/index.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, setCookies, spyLogger } from '../helpers/app.js';

const SAME = { 'Sec-Fetch-Site': 'same-origin' };
const cookieOf = (res: { headers: Record<string, unknown> }): string =>
  setCookies(res as never)
    .find((c) => c.startsWith('pl_vid='))!
    .split(';')[0]!;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-append-only-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function site(stores: Store[]) {
  const logger = spyLogger();
  const log = privacyLog({
    policy: presets.classic,
    store: stores,
    secret: SECRET,
    logger,
    batch: { maxDelayMs: 5 },
    retention: { enabled: false },
  });
  const app: Express = express();
  app.use(log);
  app.use(log.router({ notice: { site: 'Shop', contact: 'privacy@shop.example' } }));
  app.get('/', (_req, res) => {
    res.send('home');
  });
  app.post('/contact', express.urlencoded({ extended: false }), (req, res) => {
    req.privacyLog?.optional(req.body ?? {});
    res.send('thanks');
  });
  return { app, log, logger };
}

describe('an NDJSON log beside SQLite: a store that cannot erase is honest', () => {
  const logPath = () => join(dir, 'access.ndjson');
  let app: Express;
  let log: PrivacyLogMiddleware;
  let logger: ReturnType<typeof spyLogger>;
  let cookie: string;
  let before: AccessRecord[];

  beforeAll(async () => {
    ({ app, log, logger } = site([
      new SqliteStore({ path: join(dir, 'access.sqlite') }),
      new NdjsonStore({ destination: logPath() }),
    ]));
    cookie = cookieOf(await request(app).get('/'));
    await request(app).get('/').set('Cookie', cookie);
    await request(app)
      .post('/contact')
      .set('Cookie', cookie)
      .type('form')
      .send('email=ann@shop.example');
    await log.flush();
    const mine = JSON.parse(
      (await request(app).get('/privacy/my-data').set('Cookie', cookie)).text,
    );
    before = mine.records.map((r: { record: AccessRecord }) => r.record);
  });
  afterAll(() => log.close());

  it('warns at startup, with stable codes, that the log can neither erase nor purge', async () => {
    const warned = logger.calls.filter((c) => String(c.details.code).startsWith('WRN_STORE_'));
    // `classic` keeps everything forever: there is nothing to purge.
    expect(warned.map((c) => [c.details.code, c.details.store])).toEqual([
      ['WRN_STORE_CANNOT_ERASE', 'NdjsonStore'],
    ]);
    const spy = spyLogger();
    const gdpr = privacyLog({
      policy: presets.gdpr,
      store: [new NdjsonStore({ destination: join(dir, 'gdpr.ndjson') })],
      secret: SECRET,
      logger: spy,
      retention: { enabled: false },
    });
    expect(spy.codes().filter((c) => String(c).startsWith('WRN_STORE_'))).toEqual([
      'WRN_STORE_CANNOT_ERASE',
      'WRN_STORE_CANNOT_PURGE',
    ]);
    await gdpr.close();
  });

  it('after an erasure, my-data and the operator export serve nothing it was asked to remove', async () => {
    expect(before.length).toBeGreaterThanOrEqual(3);
    const erased = await request(app).post('/privacy/erase').set('Cookie', cookie).set(SAME);
    expect(erased.body).toMatchObject({ ok: true, complete: false });

    const after = JSON.parse(
      (await request(app).get('/privacy/my-data').set('Cookie', cookie)).text,
    );
    const ids = new Set(before.map((r) => r.id));
    const served = after.records.map((r: { record: AccessRecord }) => r.record.id);
    expect(served.filter((id: string) => ids.has(id))).toEqual([]);
    const byEmail = await log.subjects.export({ email: 'ANN@shop.example' });
    expect(byEmail.records).toEqual([]);

    // The truth about the log: the lines are still in the file; the sidecar names no one in clear.
    await log.flush();
    const text = await readFile(logPath(), 'utf8');
    expect(text).toContain('ann@shop.example');
    const sidecar = await readFile(`${logPath()}.erasures`, 'utf8');
    const visitorId = before[0]!.nonessential!.visitorId!;
    expect(sidecar).not.toContain(visitorId);
    expect(sidecar.trim().split('\n')).toHaveLength(1);
  });

  it('the operator erasure says which store recorded what it could not erase', async () => {
    const result = await log.subjects.erase({ email: 'ann@shop.example' });
    expect(result).toMatchObject({ unsupported: ['NdjsonStore'], recorded: ['NdjsonStore'] });
  });

  it('a new logger on the same files still serves none of it', async () => {
    const again = site([
      new SqliteStore({ path: join(dir, 'access.sqlite') }),
      new NdjsonStore({ destination: logPath() }),
    ]);
    const found = await again.log.subjects.export({
      visitorId: before[0]!.nonessential!.visitorId!,
    });
    expect(
      found.records.map((r) => r.record.id).filter((id) => before.some((b) => b.id === id)),
    ).toEqual([]);
    await again.log.close();
  });

  it('the notice and the erase page say how long the log keeps data, and who rotates it', async () => {
    const notice = (await request(app).get('/privacy/notice?format=markdown')).text;
    expect(notice).toContain(
      'A copy of the access log is also written to one append-only log, which cannot delete single records: it keeps everything until the operator of this site rotates or deletes it; the access-log software does not do that itself. Records you ask us to erase stay in that log until then, but they are never shown or exported again.',
    );
    const fresh = cookieOf(await request(app).get('/'));
    const page = await request(app)
      .post('/privacy/erase')
      .set('Cookie', fresh)
      .set(SAME)
      .type('form')
      .send('confirm=1');
    expect(page.text).toContain('cannot delete single records');
    expect(page.text).toContain('How long it is kept');
  });

  it('a site with SQLite alone neither warns nor mentions an append-only log', async () => {
    const only = site([new SqliteStore({ path: join(dir, 'alone.sqlite') })]);
    expect(only.logger.codes().filter((c) => String(c).startsWith('WRN_STORE_'))).toEqual([]);
    const notice = (await request(only.app).get('/privacy/notice?format=markdown')).text;
    expect(notice).not.toContain('append-only');
    await only.log.close();
  });
});

describe('a readable store that can neither erase nor record an erasure', () => {
  it('is filtered by the logger for as long as it lives', async () => {
    const kept: AccessRecord[] = [];
    const readOnly: Store = {
      name: 'read-only',
      write: (records) => {
        kept.push(...records);
      },
      read: () => kept,
    };
    const { app, log } = site([readOnly]);
    const cookie = cookieOf(await request(app).get('/'));
    await request(app).get('/').set('Cookie', cookie);
    await log.flush();
    const visitorId = kept[0]!.nonessential!.visitorId!;
    expect((await log.subjects.export({ visitorId })).records.length).toBe(2);
    const result = await log.subjects.erase({ visitorId });
    expect(result).toMatchObject({ erased: 0, unsupported: ['read-only'], recorded: [] });
    expect((await log.subjects.export({ visitorId })).records).toEqual([]);
    await log.close();
  });
});
