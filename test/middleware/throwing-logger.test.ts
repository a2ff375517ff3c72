import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { definePolicy, presets, privacyLog } from '../../src/index.js';
import type { PrivacyLogOptions } from '../../src/options.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

/** A diagnostic logger whose every method throws, and that counts the calls. */
function throwingLogger() {
  const calls = { warn: 0, error: 0, info: 0 };
  const fail = (level: keyof typeof calls) => () => {
    calls[level]++;
    throw new Error(`logger.${level} is broken`);
  };
  return { calls, warn: fail('warn'), error: fail('error'), info: fail('info') };
}

/** A reason whose conversion to text throws. */
const unprintable = {
  toString() {
    throw new Error('no text for you');
  },
} as unknown as string;

function site(options: Partial<PrivacyLogOptions>) {
  const store = new MemoryStore();
  const logger = throwingLogger();
  const log = privacyLog({
    store,
    secret: SECRET,
    logger,
    batch: { maxDelayMs: 5 },
    ...options,
  });
  const app = express();
  app.set('trust proxy', true);
  app.use(log);
  app.use(log.router());
  app.get('/', (_req, res) => {
    res.send('home');
  });
  app.get('/attack', (req, res) => {
    req.privacyLog?.flagIncident('probe');
    res.send('seen');
  });
  app.get('/odd-attack', (req, res) => {
    req.privacyLog?.flagIncident(unprintable);
    res.send('seen');
  });
  app.get('/orders/:id', (req, res) => {
    res.send(req.params.id);
  });
  return { app, log, store, logger };
}

const previousEnv = process.env.NODE_ENV;
afterEach(() => {
  process.env.NODE_ENV = previousEnv;
});

describe('a logger that throws never breaks a request or the app', () => {
  it('startup warnings, trust-proxy warning, incident without a security category', async () => {
    process.env.NODE_ENV = 'production';
    const policy = definePolicy({
      ...presets.classic,
      name: 'loud',
      categories: {
        ...presets.classic.categories,
        // The company table takes seconds to load and adds nothing to what is tested here.
        client: { ...presets.classic.categories.client!, company: false },
        security: undefined,
      },
      signals: { gpc: false, dnt: true },
    });
    // Full addresses, forever, GPC ignored, MemoryStore in production, a short secret: each warns.
    const { app, log, store, logger } = site({
      policy,
      secret: 'sixteen-chars-ok',
      enrich: { reverse: async () => [] },
    });
    expect(logger.calls.warn).toBeGreaterThanOrEqual(4);
    const first = await request(app).get('/');
    const flagged = await request(app).get('/attack');
    expect([first.status, flagged.status]).toEqual([200, 200]);
    expect(logger.calls.warn).toBeGreaterThanOrEqual(6);
    await log.flush();
    expect(store.records.map((r) => r.essential.path)).toEqual(['/', '/attack']);
    expect(store.records[1]).not.toHaveProperty('security');
    await log.close();
  });

  it('a consent function and a path hook that throw', async () => {
    const { app, log, store, logger } = site({
      policy: presets.gdpr,
      consent: () => {
        throw new Error('cmp down');
      },
      redactPath: () => {
        throw new Error('hook broken');
      },
      warnings: false,
    });
    const res = await request(app).get('/orders/A7K-22').set('Cookie', consentCookie());
    expect(res.status).toBe(200);
    expect(logger.calls.error).toBeGreaterThanOrEqual(1);
    await log.flush();
    expect(logger.calls.error).toBeGreaterThanOrEqual(2);
    const [record] = store.records;
    expect(record!.essential.path).toBe('/orders/A7K-22');
    // No answer from the consent function means no consent.
    expect(record!.consent.analytics).toBe(false);
    await log.close();
  });

  it('flagIncident with a reason whose toString throws still flags the request', async () => {
    const { app, log, store } = site({ policy: presets.gdpr, warnings: false });
    const res = await request(app).get('/odd-attack');
    expect(res.status).toBe(200);
    await log.flush();
    const [record] = store.records;
    expect(record!.security?.reasons).toHaveLength(1);
    expect(record!.security!.reasons[0]).toMatch(/unprintable/);
    await log.close();
  });

  it('the privacy routes when a store fails and the logger throws', async () => {
    const store = new MemoryStore();
    const failing: Store = {
      write: (records) => store.write(records),
      read: (query) => store.read(query),
      erase: () => Promise.reject(new Error('erase failed')),
    };
    const { app, log, logger } = site({ policy: presets.ccpa, store: failing, warnings: false });
    const visit = await request(app).get('/');
    const cookie = visit.headers['set-cookie']![0]!.split(';')[0]!;
    const erase = await request(app)
      .post('/privacy/erase')
      .set('Cookie', cookie)
      .set('Accept', 'application/json');
    // The failing store is named, its reason goes to the (throwing) diagnostic log.
    expect(erase.status).toBe(503);
    expect(erase.body).toMatchObject({ ok: false, complete: false });
    expect(erase.body.unavailable).toHaveLength(1);
    expect(logger.calls.warn).toBeGreaterThanOrEqual(1);
    const after = await request(app).get('/');
    expect(after.status).toBe(200);
    await log.flush();
    expect(log.stats().stores[0]!.written).toBe(3);
    expect(store.records.map((r) => r.essential.path)).toEqual(['/', '/privacy/erase', '/']);
    await log.close();
  });
});

describe('req.privacyLog never throws, whatever the app passes', () => {
  it('optional() with fields whose reading throws', async () => {
    const { app, log, store } = site({ policy: presets.gdpr, warnings: false });
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    );
    app.get('/form', (req, res) => {
      const kept = req.privacyLog?.optional(hostile);
      const getter = req.privacyLog?.optional(
        Object.defineProperty({}, 'email', {
          enumerable: true,
          get() {
            throw new Error('no email');
          },
        }),
      );
      res.json({ kept, getter });
    });
    const res = await request(app).get('/form').set('Cookie', consentCookie());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kept: [], getter: [] });
    await log.flush();
    expect(store.records).toHaveLength(1);
    await log.close();
  });
});
