import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { definePolicy, presets, privacyLog } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { fakeReverse, makeApp, SECRET, spyLogger, storedAfter } from '../helpers/app.js';

const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const withDomain = definePolicy({
  ...presets.gdpr,
  name: 'gdpr-domain',
  categories: {
    ...presets.gdpr.categories,
    client: { ...presets.gdpr.categories.client!, domain: true, enrichFromFullAddress: true },
  },
});

describe('reverse DNS never delays a response', () => {
  it('a resolver that answers late: the response returns first, the record goes without the domain, the timeout is counted', async () => {
    const pending: { address: string; settle: () => void }[] = [];
    // It answers only when the test says so: however slow the machine, it is late.
    const slowReverse = (address: string) =>
      new Promise<string[]>((resolve) => {
        pending.push({ address, settle: () => resolve(['dns.google']) });
      });
    const { app, log, store } = makeApp({
      policy: withDomain,
      warnings: false,
      // An unanswered lookup is abandoned after ten deadlines: 10 s here, well after the flush
      // below even when the records wait for a worker to load the GeoIP data.
      enrich: { reverse: slowReverse, timeoutMs: 1000 },
    });
    const res = await request(app).get('/').set('X-Forwarded-For', '8.8.8.8');
    expect(res.status).toBe(200);
    // The record is written while the lookup it started is still unanswered (in worker mode the
    // lookup only starts once the request has crossed to the worker, after the response).
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(pending).toHaveLength(1);
    expect(pending[0]!.address).toBe('8.8.8.8');
    expect(record.client?.ip).toBe('8.8.8.0');
    expect(record.client).not.toHaveProperty('domain');
    expect(log.stats().enrichment.domain).toMatchObject({ lookups: 1, timeouts: 1, inFlight: 1 });
    expect(log.stats().enrichment.pending).toBe(0);
    // The late answer fills the cache: the next request from that address gets the domain at once.
    pending[0]!.settle();
    await new Promise((resolve) => setImmediate(resolve));
    await request(app).get('/').set('X-Forwarded-For', '8.8.8.8');
    expect((await storedAfter(log, store)).at(-1)!.client?.domain).toBe('dns.google');
    await log.close();
  });

  it('with every lookup slot taken, a record goes without the domain and stats() counts it busy', async () => {
    const pending: (() => void)[] = [];
    const slowReverse = () =>
      new Promise<string[]>((resolve) => {
        pending.push(() => resolve(['dns.google']));
      });
    const { app, log, store } = makeApp({
      policy: withDomain,
      warnings: false,
      // One slot, and a deadline long enough that the first lookup still holds it when the second
      // record is made.
      enrich: { reverse: slowReverse, concurrency: 1, timeoutMs: 5000 },
    });
    await request(app).get('/').set('X-Forwarded-For', '8.8.8.8');
    // In worker mode the lookup starts once the request has crossed: wait until it holds the slot.
    await expect.poll(() => pending.length, { timeout: 30_000 }).toBe(1);
    await request(app).get('/').set('X-Forwarded-For', '9.9.9.9');
    await expect.poll(() => log.stats().enrichment.domain?.busy, { timeout: 30_000 }).toBe(1);
    expect(log.stats().enrichment.domain).toMatchObject({ lookups: 1, busy: 1, inFlight: 1 });
    expect(pending).toHaveLength(1);
    pending[0]!();
    const records = await storedAfter(log, store);
    const second = records.find((r) => r.client?.ip === '9.9.9.0')!;
    expect(second.client).not.toHaveProperty('domain');
    expect(records.find((r) => r.client?.ip === '8.8.8.0')!.client?.domain).toBe('dns.google');
    await log.close();
  });

  it('looks up the truncated address unless the policy allows the full one', async () => {
    const asked: string[] = [];
    const policy = definePolicy({
      ...withDomain,
      name: 'trunc-domain',
      categories: {
        ...withDomain.categories,
        client: { ...withDomain.categories.client!, enrichFromFullAddress: false },
      },
    });
    const { app, log, store } = makeApp({
      policy,
      warnings: false,
      enrich: {
        reverse: (a) => {
          asked.push(a);
          return fakeReverse(a);
        },
        company: (a) => {
          asked.push(a);
          return undefined;
        },
      },
    });
    await request(app).get('/').set('X-Forwarded-For', '8.8.8.8');
    await storedAfter(log, store);
    expect(asked).toEqual(['8.8.8.0']);
    await log.close();
  });

  it('asks nothing under an objection', async () => {
    const asked: string[] = [];
    const { app, log, store } = makeApp({
      policy: presets.classic,
      warnings: false,
      enrich: {
        reverse: (a) => {
          asked.push(a);
          return [];
        },
        company: (a) => {
          asked.push(a);
          return 'X';
        },
      },
    });
    await request(app).get('/').set('X-Forwarded-For', '8.8.8.8').set('Sec-GPC', '1');
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(asked).toEqual([]);
    // The address itself rests on legitimate interests, so the objection removes it too.
    expect(record).not.toHaveProperty('client');
    await log.close();
  });

  it('an asynchronous company resolver is awaited up to the deadline, and counted when late', async () => {
    const { app, log, store } = makeApp({
      policy: presets.classic,
      warnings: false,
      enrich: { reverse: fakeReverse, company: () => new Promise(() => {}), timeoutMs: 30 },
    });
    await request(app).get('/').set('X-Forwarded-For', '8.8.8.8');
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(record.client?.domain).toBe('dns.google');
    expect(record.client).not.toHaveProperty('company');
    expect(log.stats().enrichment.company).toMatchObject({ lookups: 1, timeouts: 1 });
    await log.close();
  });
});

describe('bots', () => {
  const skipping = definePolicy({
    ...presets.gdpr,
    name: 'no-bots',
    categories: {
      ...presets.gdpr.categories,
      essential: { ...presets.gdpr.categories.essential, bots: 'skip' },
    },
  });

  it('are flagged by default, so reports can leave them out', async () => {
    const { app, log, store } = makeApp({ policy: presets.gdpr, warnings: false });
    await request(app).get('/').set('User-Agent', 'curl/8.5.0');
    expect((await storedAfter(log, store)).at(-1)!.essential.bot).toBe(true);
    await log.close();
  });

  it('are not recorded at all when the policy says bots: skip', async () => {
    const { app, log, store } = makeApp({ policy: skipping, warnings: false });
    await request(app)
      .get('/')
      .set('User-Agent', 'Googlebot/2.1 (+http://www.google.com/bot.html)');
    await request(app).get('/').set('User-Agent', CHROME_UA);
    const records = await storedAfter(log, store);
    expect(records).toHaveLength(1);
    expect(records[0]!.essential.bot).toBe(false);
    expect(log.stats().enrichment.skippedBots).toBe(1);
    await log.close();
  });
});

describe('client hints', () => {
  it('by default the site asks for no hints, and the ones sent unasked are used', async () => {
    const { app, log, store } = makeApp({ policy: presets.gdpr, warnings: false });
    const res = await request(app)
      .get('/')
      .set('User-Agent', CHROME_UA)
      .set('Sec-CH-UA', '"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"')
      .set('Sec-CH-UA-Mobile', '?0')
      .set('Sec-CH-UA-Platform', '"Windows"');
    expect(res.headers['accept-ch']).toBeUndefined();
    const { essential } = (await storedAfter(log, store)).at(-1)!;
    expect(essential.browser).toEqual({ name: 'Edge', major: '131' });
    expect(essential.os).toEqual({ name: 'Windows' });
    expect(essential.device).toBe('desktop');
    await log.close();
  });

  it("clientHints: 'platform-version' asks for that one hint only", async () => {
    const policy = definePolicy({
      ...presets.gdpr,
      name: 'hints',
      categories: {
        ...presets.gdpr.categories,
        essential: { ...presets.gdpr.categories.essential, clientHints: 'platform-version' },
      },
    });
    const { app, log, store } = makeApp({ policy, warnings: false });
    const res = await request(app)
      .get('/')
      .set('User-Agent', CHROME_UA)
      .set('Sec-CH-UA', '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"')
      .set('Sec-CH-UA-Platform', '"Windows"')
      .set('Sec-CH-UA-Platform-Version', '"15.0.0"');
    expect(res.headers['accept-ch']).toBe('Sec-CH-UA-Platform-Version');
    expect((await storedAfter(log, store)).at(-1)!.essential.os).toEqual({
      name: 'Windows',
      version: '11',
    });
    await log.close();
  });

  it('a policy that keeps no User-Agent reads no hints', async () => {
    const policy = definePolicy({
      ...presets.strict,
      name: 'no-ua',
      categories: {
        essential: { ...presets.strict.categories.essential, userAgent: 'none' },
      },
    });
    const { app, log, store } = makeApp({ policy, warnings: false });
    await request(app).get('/').set('Sec-CH-UA', '"Google Chrome";v="131"');
    const { essential } = (await storedAfter(log, store)).at(-1)!;
    expect(essential).not.toHaveProperty('browser');
    await log.close();
  });
});

describe('paths', () => {
  it('replaces ids when no route matched, keeps them when one did', async () => {
    const { app, log, store } = makeApp({ policy: presets.gdpr, warnings: false });
    await request(app).get('/users/123456/mail/jane%40example.com');
    await request(app).get('/products/123456');
    const records = await storedAfter(log, store);
    expect(records.at(-2)!.essential.path).toBe('/users/:id/mail/:email');
    expect(records.at(-1)!.essential).toMatchObject({
      path: '/products/123456',
      route: '/products/:id',
    });
    await log.close();
  });

  it('the user hook has the last word; if it throws, the built-in result stays', async () => {
    const store = new MemoryStore();
    const logger = spyLogger();
    const log = privacyLog({
      policy: presets.strict,
      store,
      logger,
      batch: { maxDelayMs: 1 },
      redactPath: (path) => {
        if (path.startsWith('/boom')) throw new Error('hook failed');
        return path.replace(/\/orders\/[A-Z0-9-]+/, '/orders/:order');
      },
    });
    const app = express().use(log);
    await request(app).get('/orders/A7K-22');
    await request(app).get('/boom/123');
    const records = await storedAfter(log, store);
    expect(records.map((r) => r.essential.path)).toEqual(['/orders/:order', '/boom/:id']);
    expect(logger.codes()).toContain('ERR_PATH_HOOK');
    await log.close();
  });
});

describe('the security category', () => {
  it('keeps a prefix-preserving pseudonym, never the address, with gdpr', async () => {
    const { app, log, store } = makeApp({ policy: presets.gdpr, warnings: false });
    await request(app).get('/attack').set('X-Forwarded-For', '203.0.113.7');
    await request(app).get('/attack').set('X-Forwarded-For', '203.0.113.99');
    const [a, b] = (await storedAfter(log, store)).slice(-2).map((r) => r.security!.ip!);
    expect(a).not.toBe('203.0.113.7');
    // Same /24, so the pseudonyms share their first 24 bits.
    expect(a!.split('.').slice(0, 3)).toEqual(b!.split('.').slice(0, 3));
    await log.close();
  });

  it('keeps the address in full with classic, which warns about it', async () => {
    const { app, log, store } = makeApp({ policy: presets.classic, secret: SECRET });
    await request(app).get('/attack').set('X-Forwarded-For', '203.0.113.7');
    expect((await storedAfter(log, store)).at(-1)!.security?.ip).toBe('203.0.113.7');
    await log.close();
  });
});
