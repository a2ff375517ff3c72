import { createServer } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, presets, privacyLog } from '../../src/index.js';
import { PrivacyLogHandle } from '../../src/request/handle.js';

/**
 * `req.privacyLog` is made on first read on an Express request (an accessor on Express's request
 * prototype) and at once on any other request. Either way the app sees the same handle.
 */

const loggers: { close(): Promise<void> }[] = [];
afterAll(() => Promise.all(loggers.map((l) => l.close())));

function logger() {
  const log = privacyLog({
    policy: presets.strict,
    store: new MemoryStore(),
    warnings: false,
    worker: false,
    handleSignals: false,
  });
  loggers.push(log);
  return log;
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('req.privacyLog on %s', (_, express) => {
  it('is one handle per request, on every read, in a mounted app too', async () => {
    const app = express();
    app.use(logger());
    const sub = express();
    const seen: unknown[] = [];
    sub.get('/page', (req, res) => {
      const first = req.privacyLog;
      seen.push(first instanceof PrivacyLogHandle, first === req.privacyLog);
      res.json({ analytics: first?.decision.analytics });
    });
    app.use('/sub', sub);
    app.get('/', (req, res) => {
      const first = req.privacyLog;
      seen.push(first instanceof PrivacyLogHandle, first === req.privacyLog);
      res.json({ categories: first?.decision.categories });
    });
    const one = await request(app).get('/');
    const two = await request(app).get('/sub/page');
    expect(one.body).toEqual({ categories: ['essential'] });
    expect(two.body).toEqual({ analytics: false });
    expect(seen).toEqual([true, true, true, true]);
  });

  it('is undefined where the middleware did not run, and what the app assigns once it does', async () => {
    const app = express();
    const before: unknown[] = [];
    app.get('/early', (req, res) => {
      before.push(req.privacyLog);
      res.end();
    });
    app.use(logger());
    app.get('/assign', (req, res) => {
      const mine = { mine: true } as never;
      req.privacyLog = mine;
      res.json({ same: req.privacyLog === mine, own: Object.hasOwn(req, 'privacyLog') });
    });
    await request(app).get('/early');
    const assigned = await request(app).get('/assign');
    expect(before).toEqual([undefined]);
    expect(assigned.body).toEqual({ same: true, own: true });
  });
});

describe('req.privacyLog outside Express', () => {
  it('is set on a plain Node request at once', async () => {
    const log = logger();
    const seen: unknown[] = [];
    const server = createServer((req, res) => {
      // What Express would have set; the record needs the target.
      Object.assign(req, { originalUrl: req.url });
      log(req as never, res as never, () => {
        const own = Object.hasOwn(req, 'privacyLog');
        const handle = (req as { privacyLog?: unknown }).privacyLog;
        seen.push(own, handle instanceof PrivacyLogHandle);
        res.end('ok');
      });
    });
    await request(server).get('/');
    expect(seen).toEqual([true, true]);
  });
});
