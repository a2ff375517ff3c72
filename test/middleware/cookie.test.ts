import type { Express } from 'express';
import request, { type Test } from 'supertest';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { presets } from '../../src/index.js';
import { makeApp, SECRET, setCookies, storedAfter } from '../helpers/app.js';
import { BrowserCookies, type Outcome } from '../helpers/browser-cookies.js';
import { consentCookie } from '../helpers/consent.js';

const { app, log, store } = makeApp({ policy: presets.ccpa, warnings: false });
afterAll(() => log.close());

function visitorCookie(cookies: string[], name = 'pl_vid') {
  return cookies.find((c) => c.startsWith(`${name}=`));
}

/** The attributes of one Set-Cookie line, by lower-case name. */
function attributes(line: string): Map<string, string> {
  const [, ...parts] = line.split(';');
  return new Map(
    parts.map((p) => {
      const [k, ...v] = p.trim().split('=');
      return [k!.toLowerCase(), v.join('=')] as const;
    }),
  );
}

describe('the analytics cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/, without Domain, and not Secure on plain HTTP', async () => {
    const line = visitorCookie(setCookies(await request(app).get('/')))!;
    expect(line).toBeDefined();
    const attrs = attributes(line);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.get('samesite')).toBe('Lax');
    expect(attrs.get('path')).toBe('/');
    expect(attrs.has('domain')).toBe(false);
    expect(attrs.has('secure')).toBe(false);
  });

  it('uses the __Host- prefix and Secure on secure requests', async () => {
    const res = await request(app).get('/').set('X-Forwarded-Proto', 'https');
    const line = visitorCookie(setCookies(res), '__Host-pl_vid')!;
    expect(line).toBeDefined();
    const attrs = attributes(line);
    expect(attrs.has('secure')).toBe(true);
    expect(attrs.get('path')).toBe('/');
    expect(attrs.has('domain')).toBe(false);
  });

  it('lives 13 months at most', async () => {
    const attrs = attributes(visitorCookie(setCookies(await request(app).get('/')))!);
    const maxAge = Number(attrs.get('max-age'));
    expect(maxAge).toBeGreaterThan(300 * 86_400);
    expect(maxAge).toBeLessThanOrEqual(395 * 86_400);
    const expires = Date.parse(attrs.get('expires')!);
    expect(expires - Date.now()).toBeLessThanOrEqual(395 * 86_400_000);
  });

  it('is not extended by later visits', async () => {
    const first = visitorCookie(setCookies(await request(app).get('/')))!;
    const pair = first.split(';')[0]!;
    const again = await request(app).get('/products/1').set('Cookie', pair);
    expect(setCookies(again)).toEqual([]);
    const records = await storedAfter(log, store);
    const id = decodeURIComponent(pair.split('=')[1]!).slice(2).split('.')[0];
    expect(records.at(-1)!.nonessential?.visitorId).toBe(id);
  });

  it('holds 128 random bits, signed, and encodes nothing about the visitor', async () => {
    const ua =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36';
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await request(app)
        .get('/')
        .set('User-Agent', ua)
        .set('X-Forwarded-For', '198.51.100.7');
      const value = decodeURIComponent(
        visitorCookie(setCookies(res))!.split(';')[0]!.split('=')[1]!,
      );
      expect(value).toMatch(/^s:[A-Za-z0-9_-]{22}\.[A-Za-z0-9+/]{43}$/);
      expect(value).not.toContain('198.51.100');
      ids.add(value.slice(2, 24));
    }
    expect(ids.size).toBe(20);
    for (const id of ids) expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });

  it('replaces a tampered, foreign or unsigned value instead of trusting it', async () => {
    const good = decodeURIComponent(
      visitorCookie(setCookies(await request(app).get('/')))!
        .split(';')[0]!
        .split('=')[1]!,
    );
    const tampered = `s:AAAAAAAAAAAAAAAAAAAAAA${good.slice(24)}`;
    const foreign = `s:${good.slice(2, 24)}.invalidsignatureinvalidsignatureinvalidsig`;
    for (const value of [tampered, foreign, 'plain-value', 'j:{"a":1}', good.slice(2)]) {
      const res = await request(app)
        .get('/')
        .set('Cookie', `pl_vid=${encodeURIComponent(value)}`);
      const line = visitorCookie(setCookies(res));
      expect(line, value).toBeDefined();
      expect(line).not.toContain(encodeURIComponent(value));
      const records = await storedAfter(log, store);
      expect(records.at(-1)!.nonessential?.visitorId).not.toBe(value.slice(2, 24));
    }
  });

  it('is signed so that cookie-parser with the same secret reads it', async () => {
    const cookieParser = (await import('cookie-parser')).default;
    const raw = decodeURIComponent(
      visitorCookie(setCookies(await request(app).get('/')))!
        .split(';')[0]!
        .split('=')[1]!,
    );
    expect(cookieParser.signedCookie(raw, SECRET)).toBe(raw.slice(2, 24));
  });

  it('is expired when the visitor objects, and a secret rotation keeps old cookies valid', async () => {
    const line = visitorCookie(setCookies(await request(app).get('/')))!;
    const pair = line.split(';')[0]!;
    const res = await request(app).get('/').set('Cookie', pair).set('Sec-GPC', '1');
    const expired = visitorCookie(setCookies(res))!;
    expect(attributes(expired).get('max-age')).toBe('0');

    const rotated = makeApp({
      policy: presets.ccpa,
      warnings: false,
      secret: ['a-brand-new-secret-0123456789abcdef', SECRET],
    });
    const kept = await request(rotated.app).get('/').set('Cookie', pair);
    expect(setCookies(kept)).toEqual([]);
    await rotated.log.close();
  });
});

/** Send a request from a browser over a secure or plain channel, and let it store the answer. */
async function visit(
  browser: BrowserCookies,
  target: Express,
  channel: { readonly secure: boolean; readonly forwardedProto?: 'https' },
  send: (agent: ReturnType<typeof request>) => Test,
): Promise<{ res: Awaited<Test>; sent: string | undefined; outcomes: Outcome[] }> {
  let test = send(request(target));
  const sent = browser.header(channel.secure);
  if (sent !== undefined) test = test.set('Cookie', sent);
  if (channel.forwardedProto) test = test.set('X-Forwarded-Proto', channel.forwardedProto);
  const res = await test;
  return { res, sent, outcomes: browser.receiveAll(setCookies(res), channel.secure) };
}

/**
 * How a request reaches the app: the browser's channel, and what the app makes of it. Behind a
 * proxy that ends TLS, Express sees HTTPS only through a trusted X-Forwarded-Proto.
 */
const CHANNELS = {
  'HTTPS, seen as HTTPS': { secure: true, forwardedProto: 'https' },
  'plain HTTP, seen as HTTP': { secure: false },
  'HTTPS through a proxy that is not trusted, seen as HTTP': { secure: true },
  'plain HTTP through a proxy that claims HTTPS': { secure: false, forwardedProto: 'https' },
} as const;

describe('expiring the cookies a request carried', () => {
  it.each(Object.entries(CHANNELS))(
    'removes every one a browser sent, %s',
    async (_name, channel) => {
      const browser = new BrowserCookies();
      // Cookies from earlier visits over both schemes (the browser keeps both names).
      await visit(browser, app, CHANNELS['HTTPS, seen as HTTPS'], (a) => a.get('/'));
      await visit(browser, app, CHANNELS['plain HTTP, seen as HTTP'], (a) => a.get('/'));
      expect(browser.names()).toEqual(['__Host-pl_vid', 'pl_vid']);
      const { res, sent, outcomes } = await visit(browser, app, channel, (a) =>
        a.get('/').set('Sec-GPC', '1'),
      );
      const carried = (sent ?? '').split('; ').map((pair) => pair.split('=')[0]);
      // Every expiry the response carries is one the browser honours...
      expect(outcomes.every((o) => o === 'removed')).toBe(true);
      expect(setCookies(res)).toHaveLength(carried.length);
      // ...and no visitor cookie the request carried is left.
      for (const name of carried) expect(browser.names()).not.toContain(name);
    },
  );

  it('gives each expiry the attributes its name needs: __Host- names Secure, Path=/, no Domain', async () => {
    for (const channel of Object.values(CHANNELS)) {
      const res = await request(app)
        .get('/')
        .set('Cookie', 'pl_vid=a; __Host-pl_vid=b')
        .set('Sec-GPC', '1')
        .set('forwardedProto' in channel ? { 'X-Forwarded-Proto': 'https' } : {});
      const lines = setCookies(res);
      const host = attributes(lines.find((l) => l.startsWith('__Host-pl_vid='))!);
      expect(host.has('secure')).toBe(true);
      expect(host.get('path')).toBe('/');
      expect(host.has('domain')).toBe(false);
      // The unprefixed name was never Secure: its expiry is honoured over either scheme.
      const plain = attributes(lines.find((l) => l.startsWith('pl_vid='))!);
      expect(plain.has('secure')).toBe(false);
      expect(plain.get('path')).toBe('/');
      expect(plain.get('max-age')).toBe('0');
    }
  });

  it('cannot reach a __Host- cookie over plain HTTP, and removes it at the next HTTPS visit', async () => {
    const browser = new BrowserCookies();
    await visit(browser, app, CHANNELS['HTTPS, seen as HTTPS'], (a) => a.get('/'));
    const plain = await visit(browser, app, CHANNELS['plain HTTP, seen as HTTP'], (a) =>
      a.get('/').set('Sec-GPC', '1'),
    );
    // A browser sends a Secure cookie only over HTTPS, and takes no Secure line over HTTP.
    expect(plain.sent).toBeUndefined();
    expect(setCookies(plain.res).some((l) => l.startsWith('__Host-'))).toBe(false);
    await visit(browser, app, CHANNELS['HTTPS, seen as HTTPS'], (a) =>
      a.get('/').set('Sec-GPC', '1'),
    );
    expect(browser.names()).toEqual([]);
  });

  it('honours an opt-out made over plain HTTP on later HTTPS visits', async () => {
    const browser = new BrowserCookies();
    await visit(browser, app, CHANNELS['HTTPS, seen as HTTPS'], (a) => a.get('/'));
    await visit(browser, app, CHANNELS['plain HTTP, seen as HTTP'], (a) =>
      a.post('/privacy/opt-out'),
    );
    expect(browser.value('pl_choice')).toBe('out');
    const { res } = await visit(browser, app, CHANNELS['HTTPS, seen as HTTPS'], (a) =>
      a.get('/products/9'),
    );
    expect(browser.names()).toEqual(['pl_choice']);
    expect(setCookies(res).every((l) => l.includes('Max-Age=0'))).toBe(true);
    const records = await storedAfter(log, store);
    expect(records.at(-1)!.essential.path).toBe('/products/9');
    expect(records.at(-1)).not.toHaveProperty('nonessential');
  });

  it('never takes an unprefixed consent for consent on HTTPS, where it may have been planted', async () => {
    const gdpr = makeApp({ policy: presets.gdpr, warnings: false });
    const res = await request(gdpr.app)
      .get('/')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', consentCookie());
    expect(setCookies(res)).toEqual([]);
    const records = await storedAfter(gdpr.log, gdpr.store);
    expect(records.at(-1)).not.toHaveProperty('nonessential');
    await gdpr.log.close();
  });
});

describe('HEAD requests', () => {
  it('get no new visitor id, but keep a returning visitor’s id in the record', async () => {
    const head = await request(app).head('/');
    expect(head.status).toBe(200);
    expect(setCookies(head)).toEqual([]);
    let records = await storedAfter(log, store);
    expect(records.at(-1)!.essential.method).toBe('HEAD');
    expect(records.at(-1)!.nonessential?.visitorId).toBeUndefined();

    const pair = visitorCookie(setCookies(await request(app).get('/')))!.split(';')[0]!;
    const id = decodeURIComponent(pair.split('=')[1]!).slice(2, 24);
    const again = await request(app).head('/').set('Cookie', pair);
    expect(setCookies(again)).toEqual([]);
    records = await storedAfter(log, store);
    expect(records.at(-1)!.nonessential?.visitorId).toBe(id);
  });

  it('still expire the cookie of a visitor who objects', async () => {
    const res = await request(app).head('/').set('Cookie', 'pl_vid=x').set('Sec-GPC', '1');
    expect(attributes(visitorCookie(setCookies(res))!).get('max-age')).toBe('0');
  });
});

describe('after "Erase my data"', () => {
  const SAME = { 'Sec-Fetch-Site': 'same-origin' };

  it('the consent ends too: the next request gets no new visitor id (opt-in policy)', async () => {
    const site = makeApp({ policy: presets.gdpr, warnings: false });
    const browser = new BrowserCookies();
    const http = CHANNELS['plain HTTP, seen as HTTP'];
    await visit(browser, site.app, http, (a) => a.post('/privacy/opt-in').set(SAME));
    await visit(browser, site.app, http, (a) => a.get('/'));
    expect(browser.names()).toEqual(['pl_choice', 'pl_vid']);

    const erase = await visit(browser, site.app, http, (a) => a.post('/privacy/erase').set(SAME));
    expect(erase.res.body).toMatchObject({ ok: true, consentWithdrawn: true });
    expect(browser.names()).toEqual([]);
    // The browser's own next request, as it makes one for the icon.
    const icon = await visit(browser, site.app, http, (a) => a.get('/favicon.ico'));
    expect(setCookies(icon.res)).toEqual([]);
    const records = await storedAfter(site.log, site.store);
    expect(records.at(-1)!.essential.path).toBe('/favicon.ico');
    expect(records.at(-1)).not.toHaveProperty('nonessential');
    await site.log.close();
  });

  it('says so on the page a form gets, and ends a consent given over HTTPS', async () => {
    const site = makeApp({ policy: presets.gdpr, warnings: false });
    const browser = new BrowserCookies();
    const https = CHANNELS['HTTPS, seen as HTTPS'];
    await visit(browser, site.app, https, (a) => a.post('/privacy/opt-in').set(SAME));
    await visit(browser, site.app, https, (a) => a.get('/'));
    expect(browser.names()).toEqual(['__Host-pl_choice', '__Host-pl_vid']);
    const erase = await visit(browser, site.app, https, (a) =>
      a.post('/privacy/erase').set(SAME).type('form').send('confirm=1'),
    );
    expect(erase.res.text).toContain('Your consent to analytics was withdrawn too');
    expect(browser.names()).toEqual([]);
    await site.log.close();
  });

  it('says on the page of an opt-out site that the next visit gets a new id', async () => {
    const browser = new BrowserCookies();
    const http = CHANNELS['plain HTTP, seen as HTTP'];
    await visit(browser, app, http, (a) => a.get('/'));
    const erase = await visit(browser, app, http, (a) =>
      a.post('/privacy/erase').set(SAME).type('form').send('confirm=1'),
    );
    expect(erase.res.text).toContain('your next visit gets a new visitor id');
    expect(browser.names()).toEqual([]);
  });

  it('keeps an opt-out: erasing the data does not resume tracking', async () => {
    const browser = new BrowserCookies();
    const http = CHANNELS['plain HTTP, seen as HTTP'];
    await visit(browser, app, http, (a) => a.get('/'));
    await visit(browser, app, http, (a) => a.post('/privacy/opt-out').set(SAME));
    const erase = await visit(browser, app, http, (a) => a.post('/privacy/erase').set(SAME));
    expect(erase.res.body).toMatchObject({ ok: true, consentWithdrawn: false });
    expect(browser.names()).toEqual(['pl_choice']);
    const next = await visit(browser, app, http, (a) => a.get('/'));
    expect(setCookies(next.res)).toEqual([]);
  });
});

describe('WRN_INSECURE_COOKIES', () => {
  afterEach(() => vi.unstubAllEnvs());

  const warned = (logger: ReturnType<typeof makeApp>['logger']) =>
    logger.codes().filter((code) => code === 'WRN_INSECURE_COOKIES').length;

  it('warns once, at the first request whose cookies go over plain HTTP in production', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const site = makeApp({ policy: presets.ccpa });
    await request(site.app).get('/').set('X-Forwarded-Proto', 'https');
    expect(warned(site.logger)).toBe(0);
    for (let i = 0; i < 3; i++) await request(site.app).get('/');
    expect(warned(site.logger)).toBe(1);
    await site.log.close();
  });

  it('is silent outside production, over HTTPS, and for a policy without an analytics cookie', async () => {
    const dev = makeApp({ policy: presets.ccpa });
    await request(dev.app).get('/');
    expect(warned(dev.logger)).toBe(0);
    await dev.log.close();

    vi.stubEnv('NODE_ENV', 'production');
    const secure = makeApp({ policy: presets.ccpa });
    await request(secure.app).get('/').set('X-Forwarded-Proto', 'https');
    expect(warned(secure.logger)).toBe(0);
    await secure.log.close();

    const none = makeApp({ policy: presets.cookieless });
    await request(none.app).get('/').set('Cookie', 'pl_choice=out');
    expect(warned(none.logger)).toBe(0);
    await none.log.close();
  });
});
