import express, { type Express } from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { privacyLog } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';

type Factory = () => Express;
const EXPRESSES: [string, Factory][] = [
  ['Express 5', () => express()],
  ['Express 4', () => express4() as unknown as Express],
];

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((log) => log.close()));
});

function logger() {
  const spy = spyLogger();
  const store = new MemoryStore();
  const log = privacyLog({ store, secret: SECRET, logger: spy, batch: { maxDelayMs: 5 } });
  open.push(log);
  return { spy, store, log };
}

describe.each(EXPRESSES)('misuse warnings on %s', (_name, makeExpress) => {
  it('routes mounted ahead of the middleware: WRN_ROUTES_BEFORE_MIDDLEWARE names them', async () => {
    const { spy, store, log } = logger();
    const app = makeExpress();
    const api = express.Router();
    api.get('/orders', (_req, res) => {
      res.send('orders');
    });
    app.get('/early', (_req, res) => {
      res.send('early');
    });
    app.use('/api', api);
    app.use(log);
    app.get('/late', (_req, res) => {
      res.send('late');
    });
    await request(app).get('/early').expect(200);
    await request(app).get('/late').expect(200);
    await request(app).get('/late').expect(200);
    await log.flush();
    // Only the route behind the middleware was logged: the warning is the only trace of /early.
    expect(store.records.map((r) => r.essential.path)).toEqual(['/late', '/late']);
    const warned = spy.calls.filter((c) => c.details.code === 'WRN_ROUTES_BEFORE_MIDDLEWARE');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.details.routes).toEqual(['/early', '/orders']);
    expect(warned[0]!.message).toMatch(/^WRN_ROUTES_BEFORE_MIDDLEWARE: routes are mounted ahead/);
  });

  it('the middleware ahead of every route: no warning', async () => {
    const { spy, log } = logger();
    const app = makeExpress();
    app.use(express.json());
    app.use(log);
    app.use(log.router());
    app.get('/', (_req, res) => {
      res.send('home');
    });
    await request(app).get('/').expect(200);
    await request(app).get('/privacy/status').expect(200);
    expect(spy.codes()).not.toContain('WRN_ROUTES_BEFORE_MIDDLEWARE');
    expect(spy.codes()).not.toContain('WRN_ROUTER_WITHOUT_MIDDLEWARE');
  });

  it('the middleware inside a router sees the routes ahead of that router', async () => {
    const { spy, log } = logger();
    const app = makeExpress();
    app.get('/health', (_req, res) => {
      res.send('ok');
    });
    const site = express.Router();
    site.use(log);
    site.get('/page', (_req, res) => {
      res.send('page');
    });
    app.use(site);
    await request(app).get('/page').expect(200);
    const warned = spy.calls.find((c) => c.details.code === 'WRN_ROUTES_BEFORE_MIDDLEWARE');
    expect(warned?.details.routes).toEqual(['/health']);
  });

  it('the privacy router without the middleware: WRN_ROUTER_WITHOUT_MIDDLEWARE, once', async () => {
    const { spy, store, log } = logger();
    const app = makeExpress();
    app.use(log.router());
    app.get('/', (_req, res) => {
      res.send('home');
    });
    await request(app).get('/').expect(200);
    expect(spy.codes()).not.toContain('WRN_ROUTER_WITHOUT_MIDDLEWARE');
    await request(app).get('/privacy/status').expect(200);
    await request(app).post('/privacy/opt-out').expect(200);
    await log.flush();
    expect(store.records).toEqual([]);
    const warned = spy.calls.filter((c) => c.details.code === 'WRN_ROUTER_WITHOUT_MIDDLEWARE');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.details.path).toBe('/privacy/status');
  });

  it('the privacy router mounted ahead of the middleware warns the same way', async () => {
    const { spy, log } = logger();
    const app = makeExpress();
    app.use(log.router());
    app.use(log);
    await request(app).get('/privacy/status').expect(200);
    expect(spy.codes()).toContain('WRN_ROUTER_WITHOUT_MIDDLEWARE');
  });
});
