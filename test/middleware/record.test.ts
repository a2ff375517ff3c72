import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { presets, privacyLog } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { makeApp, SECRET, spyLogger, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

describe('the essential category', () => {
  const { app, log, store } = makeApp({ policy: presets.gdpr, warnings: false });
  afterAll(() => log.close());

  it('records method, path without query, route template, status, duration, bytes, host, UTC time', async () => {
    const started = Date.now();
    await request(app).get('/products/abc?color=red#frag').set('Host', 'Shop.Example');
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(record.v).toBe(1);
    expect(record.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(record.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(record.time) - started)).toBeLessThan(5_000);
    expect(record.essential).toMatchObject({
      method: 'GET',
      path: '/products/abc',
      route: '/products/:id',
      status: 200,
      host: 'shop.example',
      bytes: 12,
    });
    expect(record.essential.durationMs).toBeGreaterThan(0);
    expect(record.essential).not.toHaveProperty('aborted');
    expect(record.essential).not.toHaveProperty('userAgent');
  });

  it('an empty configuration is the most protective: gdpr, no referrer or cookie without consent', async () => {
    const store = new MemoryStore();
    const log = privacyLog({ secret: SECRET, store, logger: spyLogger(), warnings: false });
    const app = express()
      .use(log)
      .get('/', (_req, res) => {
        res.send('ok');
      });
    const res = await request(app).get('/').set('Referer', 'https://elsewhere.example/');
    expect(res.headers['set-cookie']).toBeUndefined();
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(record.policy).toBe('gdpr@1');
    expect(record).not.toHaveProperty('nonessential');
    expect(record.client?.ip).toMatch(/\.0$|::$/);
    await log.close();
  });

  it('records an aborted response as aborted, with the status that was actually sent', async () => {
    const store = new MemoryStore();
    const log = privacyLog({
      policy: presets.strict,
      store,
      logger: spyLogger(),
      batch: { maxDelayMs: 1 },
    });
    let received: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    const app = express()
      .use(log)
      .get('/slow', (_req, res) => {
        received();
        setTimeout(() => res.send('late'), 300);
      });
    const server = http.createServer(app).listen(0);
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = http.get({ port, path: '/slow' });
      req.on('error', () => resolve());
      // The client gives up once the app is handling the request, before it answers.
      void arrived.then(() => {
        req.destroy();
        resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 400));
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(record.essential.path).toBe('/slow');
    expect(record.essential.aborted).toBe(true);
    expect(record.essential.status).toBe(0);
    server.close();
    await log.close();
  });
});

describe('client address', () => {
  it('with trust proxy unset, a client-sent X-Forwarded-For never changes the logged address', async () => {
    const store = new MemoryStore();
    const log = privacyLog({
      policy: presets.ccpa,
      store,
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
    });
    const app = express()
      .use(log)
      .get('/', (_req, res) => {
        res.send('ok');
      });
    await request(app).get('/').set('X-Forwarded-For', '203.0.113.9');
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(record.client?.ip).toBe('127.0.0.0');
    expect(JSON.stringify(record)).not.toContain('203.0.113');
    await log.close();
  });

  it("warns once when 'trust proxy' is true", async () => {
    const logger = spyLogger();
    const log = privacyLog({ policy: presets.strict, store: new MemoryStore(), logger });
    const app = express()
      .set('trust proxy', true)
      .use(log)
      .get('/', (_req, res) => {
        res.send('ok');
      });
    await request(app).get('/');
    await request(app).get('/');
    expect(logger.codes().filter((c) => c === 'WRN_TRUST_PROXY_TRUE')).toHaveLength(1);
    await log.close();
  });

  it('IPv6 and IPv4-mapped addresses are truncated to /48 and /24', async () => {
    const { app, log, store } = makeApp({ policy: presets.ccpa, warnings: false });
    await request(app).get('/').set('X-Forwarded-For', '2001:db8:abcd:12:1:2:3:4');
    await request(app).get('/').set('X-Forwarded-For', '::ffff:198.51.100.23');
    const [v6, mapped] = (await storedAfter(log, store)).slice(-2);
    expect(v6!.client?.ip).toBe('2001:db8:abcd::');
    expect(mapped!.client?.ip).toBe('198.51.100.0');
    expect(JSON.stringify([v6, mapped])).not.toMatch(/198\.51\.100\.23|abcd:12|abcd:0?12/);
    await log.close();
  });

  it('hash mode stores a keyed hash, never the address', async () => {
    const client = { ...presets.ccpa.categories.client!, ip: { mode: 'hash' as const } };
    const policy = {
      ...presets.ccpa,
      name: 'hashed',
      categories: { ...presets.ccpa.categories, client },
    };
    const { app, log, store } = makeApp({ policy, warnings: false });
    await request(app).get('/').set('X-Forwarded-For', '198.51.100.23');
    await request(app).get('/').set('X-Forwarded-For', '198.51.100.23');
    await request(app).get('/').set('X-Forwarded-For', '198.51.100.24');
    const [a, b, c] = (await storedAfter(log, store)).slice(-3);
    expect(a!.client?.ip).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a!.client?.ip).toBe(b!.client?.ip);
    expect(c!.client?.ip).not.toBe(a!.client?.ip);
    expect(JSON.stringify([a, b, c])).not.toContain('198.51.100');
    await log.close();
  });
});

describe('security incidents and optional data', () => {
  const { app, log, store, logger } = makeApp({ policy: presets.gdpr, warnings: false });
  afterAll(() => log.close());

  it('flagIncident adds the security category and keeps the whole record for its retention', async () => {
    await request(app).get('/attack');
    const record = (await storedAfter(log, store)).at(-1)!;
    // gdpr keeps a prefix-preserving pseudonym of the address, never the address (127.0.0.1).
    expect(record.security).toEqual({
      reasons: ['sql injection probe'],
      // Held by default: neither retention nor the visitor's erasure removes evidence.
      hold: true,
      ip: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
      // The evidence a flagged request keeps (security investigations).
      target: '/attack',
      httpVersion: '1.1',
      port: expect.any(Number),
      headers: expect.objectContaining({ host: expect.any(String) }),
      // Its place in the logger's hash chain (tamper evidence).
      chain: expect.any(String),
      seq: expect.any(Number),
      prev: expect.any(String),
      hash: expect.any(String),
    });
    expect(record.security?.ip).not.toBe('127.0.0.1');
    const year = Date.parse(record.expires.security!);
    expect(Date.parse(record.expires.client!)).toBe(year);
    // Essential (13 months) already outlives the security year; nothing is cut shorter than it.
    expect(Date.parse(record.expires.essential!)).toBeGreaterThan(year);
  });

  it('optional() ignores undeclared fields, non-strings and junk without throwing', async () => {
    const handled: unknown[] = [];
    const probe = express();
    const { log: log2, store: store2 } = makeApp({ policy: presets.gdpr, warnings: false });
    probe.use(log2);
    probe.get('/', (req, res) => {
      handled.push(req.privacyLog?.optional(null as never));
      handled.push(
        req.privacyLog?.optional({
          email: 'a@b.example',
          card: '4111',
          name: { nested: 1 },
          __proto__: { x: 1 },
        } as never),
      );
      res.send('ok');
    });
    // Optional data rests on consent under gdpr.
    await request(probe).get('/').set('Cookie', consentCookie());
    expect(handled).toEqual([[], ['email']]);
    const record = (await storedAfter(log2, store2)).at(-1)!;
    expect(record.optional).toEqual({ email: 'a@b.example' });
    await log2.close();
    expect(logger.codes()).not.toContain('ERR_CONSENT_FUNCTION');
  });

  it('flagIncident without a security category keeps nothing and warns once', async () => {
    const spy = spyLogger();
    const strictLog = privacyLog({ policy: presets.strict, store: new MemoryStore(), logger: spy });
    const strictApp = express()
      .use(strictLog)
      .get('/', (req, res) => {
        req.privacyLog?.flagIncident('x');
        res.send('ok');
      });
    await request(strictApp).get('/');
    await request(strictApp).get('/');
    expect(spy.codes().filter((c) => c === 'WRN_INCIDENT_WITHOUT_SECURITY')).toHaveLength(1);
    await strictLog.close();
  });
});

describe('Express 4', () => {
  it('works the same on Express 4', async () => {
    const store = new MemoryStore();
    const log = privacyLog({
      policy: presets.ccpa,
      store,
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
    });
    const app = express4();
    app.set('trust proxy', 'loopback');
    app.use(log);
    app.use(log.router());
    app.get('/products/:id', (_req, res) => {
      res.send('p');
    });
    const res = await request(app)
      .get('/products/7?x=1')
      .set('X-Forwarded-For', '198.51.100.23')
      .set('Sec-GPC', '1');
    expect(res.status).toBe(200);
    const optOut = await request(app).post('/privacy/opt-out');
    expect(optOut.body.choice).toBe('out');
    const [record] = await storedAfter(log, store);
    expect(record!.essential).toMatchObject({
      path: '/products/7',
      route: '/products/:id',
      status: 200,
    });
    // GPC is an objection: everything on legitimate interests but the essential record goes.
    expect(record).not.toHaveProperty('client');
    expect(JSON.stringify(record)).not.toContain('198.51.100');
    expect(record).not.toHaveProperty('nonessential');
    await log.close();
  });
});

describe('two loggers on one app', () => {
  it('each records every request exactly once, with its own policy', async () => {
    const stores = [new MemoryStore(), new MemoryStore()];
    const logs = [
      privacyLog({ policy: presets.strict, store: stores[0]!, logger: spyLogger() }),
      privacyLog({ secret: SECRET, store: stores[1]!, logger: spyLogger(), warnings: false }),
    ];
    const app = express()
      .use(logs[0]!)
      .use(logs[1]!)
      .get('/a/:n', (_req, res) => {
        res.send('a');
      });
    for (let n = 0; n < 3; n++) await request(app).get(`/a/${n}`);
    for (const [i, log] of logs.entries()) {
      const records = await storedAfter(log, stores[i]!);
      expect(records.map((r) => r.essential.path)).toEqual(['/a/0', '/a/1', '/a/2']);
      expect(new Set(records.map((r) => r.policy))).toEqual(
        new Set([i === 0 ? 'strict@1' : 'gdpr@1']),
      );
      expect(
        records.every((r) => r.essential.route === '/a/:n' && r.essential.status === 200),
      ).toBe(true);
      await log.close();
    }
  });
});
