import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { definePolicy, PolicyError, presets } from '../../src/index.js';
import { noticeDocument } from '../../src/privacy/notice/notice.js';
import { makeApp, setCookies, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

const DAY = 86_400_000;
const cnil = presets.cnil;

describe('the cnil preset: records', () => {
  const { app, log, store } = makeApp({ policy: cnil, warnings: false });
  afterAll(() => log.close());

  const visit = (headers: Record<string, string> = {}, path = '/') =>
    request(app)
      .get(path)
      .set('X-Forwarded-For', '203.0.113.77')
      .set('Referer', 'https://news.example/article/42?utm=x')
      .set(headers);
  const last = async () => (await storedAfter(log, store)).at(-1)!;

  it('keeps IPv4 addresses to /16', async () => {
    await visit();
    const record = await last();
    expect(record.client?.ip).toBe('203.0.0.0');
    expect(JSON.stringify(record)).not.toContain('203.0.113');
  });

  it('keeps IPv6 addresses to /32', async () => {
    await visit({ 'X-Forwarded-For': '2001:db8:abcd:12::1' });
    const record = await last();
    expect(record.client?.ip).toBe('2001:db8::');
  });

  it('sets a cookie of at most 13 months', async () => {
    const res = await visit();
    const cookie = setCookies(res).find((c) => c.startsWith('pl_vid='))!;
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)![1]);
    expect(maxAge * 1000).toBeLessThanOrEqual(395 * DAY);
  });

  it('never extends the cookie on later visits', async () => {
    const first = await visit();
    const cookie = setCookies(first)
      .find((c) => c.startsWith('pl_vid='))!
      .split(';')[0]!;
    const again = await visit({ Cookie: cookie });
    expect(setCookies(again).filter((c) => c.startsWith('pl_vid='))).toEqual([]);
  });

  it('keeps every category at most 25 months', async () => {
    const before = Date.now();
    await visit();
    const record = await last();
    const expiries = Object.values(record.expires).map((e) => Date.parse(e!));
    expect(expiries.length).toBeGreaterThanOrEqual(3);
    for (const expiry of expiries) expect(expiry).toBeLessThanOrEqual(before + 25 * 31 * DAY);
  });

  it('keeps the referrer as its origin', async () => {
    await visit();
    expect((await last()).nonessential?.referrer).toBe('https://news.example');
  });

  it('links no optional data to the visitor id', async () => {
    await request(app)
      .post('/contact')
      .type('form')
      .send({ email: 'ada@example.org', name: 'Ada' })
      .set('Cookie', consentCookie());
    const record = await last();
    expect(record.nonessential?.visitorId).toBeDefined();
    expect(record).not.toHaveProperty('optional');
    expect(JSON.stringify(record)).not.toContain('ada@example.org');
  });

  it('allows no cross-site use: a first-party cookie with no Domain, SameSite=Lax', async () => {
    const cookie = setCookies(await visit()).find((c) => c.startsWith('pl_vid='))!;
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it('offers an opt-out that stops the measurement', async () => {
    const optOut = await request(app).post('/privacy/opt-out').expect(200);
    const marker = setCookies(optOut)
      .find((c) => c.startsWith('pl_choice='))!
      .split(';')[0]!;
    await visit({ Cookie: marker });
    const record = await last();
    expect(record).not.toHaveProperty('nonessential');
    expect(record.consent.analytics).toBe(false);
  });
});

describe('the cnil preset: notice and checks', () => {
  const doc = noticeDocument(cnil, { site: 'Shop', contact: 'privacy@shop.example' });
  const text = JSON.stringify(doc);

  it('says why no consent is asked', () => {
    expect(text).toContain('Why we do not ask for your consent');
    expect(text).toContain('CNIL');
    expect(text).toContain('first 16 bits (IPv6: 32 bits)');
    expect(text).toContain('at most 13 months and is not extended');
    expect(text).toContain('kept at most 25 months');
    expect(text).toContain('serves this site alone');
    expect(text).toContain('you can object at any time');
  });

  it.each([
    [
      'a finer IPv4 prefix',
      {
        client: {
          ...cnil.categories.client!,
          ip: { mode: 'truncate' as const, ipv4Prefix: 24, ipv6Prefix: 32 },
        },
      },
      'categories.client.ip',
    ],
    [
      'a finer IPv6 prefix',
      {
        client: {
          ...cnil.categories.client!,
          ip: { mode: 'truncate' as const, ipv4Prefix: 16, ipv6Prefix: 48 },
        },
      },
      'categories.client.ip.ipv6Prefix',
    ],
    [
      'a longer retention',
      { essential: { ...cnil.categories.essential, retention: 'P26M' } },
      'categories.essential.retention',
    ],
    [
      'the full referrer',
      { nonessential: { ...cnil.categories.nonessential!, referrer: 'full' as const } },
      'categories.nonessential.referrer',
    ],
    [
      'optional data',
      {
        optional: {
          purposes: ['x'],
          basis: 'consent' as const,
          retention: 'P1M',
          fields: ['email'],
        },
      },
      'categories.optional',
    ],
  ])('refuses the exemption with %s', (_label, change, key) => {
    const attempt = () =>
      definePolicy({ ...cnil, name: 'not-cnil', categories: { ...cnil.categories, ...change } });
    expect(attempt).toThrow(PolicyError);
    try {
      attempt();
    } catch (error) {
      expect((error as PolicyError).issues.map((i) => i.key)).toContain(`policy.${key}`);
    }
  });

  it('refuses the exemption with a cookie longer than 13 months', () => {
    expect(() => definePolicy({ ...cnil, name: 'x', cookie: { maxAge: 'P14M' } })).toThrow(
      /13 months at most/,
    );
  });
});
