import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { definePolicy, presets } from '../../src/index.js';
import { makeApp, setCookies, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

const pair = (line: string | undefined) => line?.split(';')[0] ?? '';
const find = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`));

describe('privacy routes, opt-out policy (ccpa)', () => {
  const { app, log, store } = makeApp({ policy: presets.ccpa, warnings: false });
  afterAll(() => log.close());

  it('opt-out sets an identical marker for everyone and expires the analytics cookie', async () => {
    const first = await request(app).get('/');
    const visitor = pair(find(setCookies(first), 'pl_vid'));
    expect(visitor).toMatch(/^pl_vid=/);

    const markers = new Set<string>();
    for (const cookie of [visitor, '']) {
      const res = await request(app)
        .post('/privacy/opt-out')
        .set('Cookie', cookie)
        .set('Accept', 'application/json');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: true, analytics: false, choice: 'out' });
      const cookies = setCookies(res);
      markers.add(pair(find(cookies, 'pl_choice')));
      if (cookie) expect(find(cookies, 'pl_vid')).toContain('Max-Age=0');
      else expect(find(cookies, 'pl_vid')).toBeUndefined();
    }
    expect([...markers]).toEqual(['pl_choice=out']);
    // The opt-out request's own record already follows the choice.
    const records = await storedAfter(log, store);
    expect(records.at(-1)!.essential.path).toBe('/privacy/opt-out');
    expect(records.at(-1)).not.toHaveProperty('nonessential');
  });

  it('the marker wins over a later absence of GPC and no cookie comes back', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await request(app).get('/products/3').set('Cookie', 'pl_choice=out');
      expect(find(setCookies(res), 'pl_vid')).toBeUndefined();
    }
    const records = await storedAfter(log, store);
    for (const record of records.slice(-3)) expect(record).not.toHaveProperty('nonessential');
  });

  it('status tells the page what is honoured', async () => {
    const res = await request(app).get('/privacy/status').set('Sec-GPC', '1');
    expect(res.body).toMatchObject({
      policy: 'ccpa@1',
      analytics: false,
      gpc: true,
      objection: true,
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.stringify(res.body)).not.toMatch(/visitorId/);
  });

  it('serves /.well-known/gpc.json', async () => {
    const res = await request(app).get('/.well-known/gpc.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.gpc).toBe(true);
    expect(res.body.lastUpdate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('refuses cross-site requests (Sec-Fetch-Site, then Origin)', async () => {
    const crossFetch = await request(app)
      .post('/privacy/opt-in')
      .set('Sec-Fetch-Site', 'cross-site');
    expect(crossFetch.status).toBe(403);
    expect(find(setCookies(crossFetch), 'pl_choice')).toBeUndefined();
    const sameSite = await request(app).post('/privacy/opt-out').set('Sec-Fetch-Site', 'same-site');
    expect(sameSite.status).toBe(403);
    const crossOrigin = await request(app)
      .post('/privacy/opt-out')
      .set('Origin', 'https://evil.example');
    expect(crossOrigin.status).toBe(403);
    const sameOrigin = await request(app)
      .post('/privacy/opt-out')
      .set('Host', 'shop.example')
      .set('Origin', 'http://shop.example')
      .set('Sec-Fetch-Site', 'same-origin');
    expect(sameOrigin.status).toBe(200);
  });

  it('answers an HTML form with a redirect back to the same site, never elsewhere', async () => {
    const res = await request(app)
      .post('/privacy/opt-out')
      .type('form')
      .send('x=1')
      .set('Host', 'shop.example')
      .set('Referer', 'http://shop.example/privacy?from=banner');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/privacy?from=banner');
    const evil = await request(app)
      .post('/privacy/opt-out')
      .type('form')
      .send('x=1')
      .set('Referer', 'https://evil.example/');
    expect(evil.headers.location).toBe('/');
  });
});

describe('privacy routes, opt-in policy (gdpr)', () => {
  const { app, log, store } = makeApp({ policy: presets.gdpr, warnings: false });
  afterAll(() => log.close());

  it('without consent: nothing nonessential, no cookie; after consent both; withdrawal is one call', async () => {
    const before = await request(app).get('/').set('Referer', 'https://news.example/article');
    expect(find(setCookies(before), 'pl_vid')).toBeUndefined();

    const consent = await request(app).post('/privacy/opt-in');
    expect(consent.body).toMatchObject({ analytics: true, basis: 'consent', choice: 'in' });
    const consentCookies = setCookies(consent);
    expect(pair(find(consentCookies, 'pl_choice'))).toBe(consentCookie());
    const visitor = pair(find(consentCookies, 'pl_vid'));
    expect(visitor).toMatch(/^pl_vid=s%3A/);

    const after = await request(app)
      .get('/')
      .set('Cookie', `${consentCookie()}; ${visitor}`)
      .set('Referer', 'https://news.example/article');
    expect(setCookies(after)).toEqual([]);

    const withdraw = await request(app)
      .post('/privacy/opt-out')
      .set('Cookie', `${consentCookie()}; ${visitor}`);
    expect(withdraw.body).toMatchObject({ analytics: false, choice: 'out' });
    expect(find(setCookies(withdraw), 'pl_vid')).toContain('Max-Age=0');

    // gdpr erases what was recorded under the consent as soon as it is withdrawn.
    expect(withdraw.body.withdrawal).toMatchObject({ action: 'erased', complete: true });
    const records = await storedAfter(log, store);
    expect(JSON.stringify(records)).not.toContain('https://news.example');
    expect(records.filter((r) => r.nonessential !== undefined)).toEqual([]);
    expect(records.at(-1)).not.toHaveProperty('nonessential');
  });

  it('consent does not override an honoured GPC signal', async () => {
    const res = await request(app).post('/privacy/opt-in').set('Sec-GPC', '1');
    expect(res.body).toMatchObject({ analytics: false, gpc: true });
    expect(find(setCookies(res), 'pl_vid')).toBeUndefined();
  });
});

describe('signals a policy can turn off', () => {
  const policy = definePolicy({
    ...presets.ccpa,
    name: 'no-dnt',
    signals: { gpc: true, dnt: false },
  });
  const { app, log, store } = makeApp({ policy, warnings: false });
  afterAll(() => log.close());

  it('DNT is ignored when the policy says so, GPC still honoured', async () => {
    await request(app).get('/').set('DNT', '1');
    await request(app).get('/').set('Sec-GPC', '1');
    const [dnt, gpc] = (await storedAfter(log, store)).slice(-2);
    expect(dnt!.consent).toMatchObject({ dnt: true, analytics: true });
    expect(gpc!.consent).toMatchObject({ gpc: true, analytics: false });
  });

  it('gpc.json is not served when the policy does not honour GPC', async () => {
    const ignoring = makeApp({
      policy: definePolicy({ ...presets.ccpa, name: 'no-gpc', signals: { gpc: false, dnt: true } }),
      warnings: false,
    });
    const res = await request(ignoring.app).get('/.well-known/gpc.json');
    expect(res.status).toBe(404);
    await ignoring.log.close();
  });
});

describe('an app-supplied consent function', () => {
  it('can give consent or object, and a throwing one counts as no consent', async () => {
    let answer: boolean | undefined | 'throw' = true;
    const { app, log, store, logger } = makeApp({
      policy: presets.gdpr,
      warnings: false,
      consent: () => {
        if (answer === 'throw') throw new Error('cmp down');
        return answer;
      },
    });
    await request(app).get('/');
    answer = false;
    await request(app).get('/').set('Cookie', consentCookie());
    answer = 'throw';
    const res = await request(app).get('/');
    expect(res.status).toBe(200);
    const [given, refused, broken] = (await storedAfter(log, store)).slice(-3);
    expect(given!.consent).toMatchObject({ analytics: true, basis: 'consent' });
    expect(refused!.consent.analytics).toBe(false);
    expect(broken!.consent.analytics).toBe(false);
    expect(logger.codes()).toContain('ERR_CONSENT_FUNCTION');
    await log.close();
  });
});

describe('privacy routes: telling their requests from the site’s', () => {
  const { log } = makeApp({ policy: presets.ccpa, warnings: false });
  afterAll(() => log.close());
  const routes = log.router();

  /** Run the routes on a bare request; whether they passed it on, and whether req.path was read. */
  function route(url: string, method = 'GET') {
    let pathRead = false;
    let passed = false;
    const path = new URL(url.replace(/\\/g, '/'), 'http://x').pathname;
    const req = {
      url,
      method,
      headers: {},
      query: {},
      get path() {
        pathRead = true;
        return path;
      },
    };
    const res = {
      setHeader() {},
      type() {
        return this;
      },
      send() {},
      json() {},
    };
    routes(req as never, res as never, () => {
      passed = true;
    });
    return { passed, pathRead };
  }

  it("passes the site's own requests on without reading req.path", () => {
    for (const url of ['/', '/products/7?x=1', '/privacy', '/privacyx/status', '/.well-known/x']) {
      expect(route(url), url).toEqual({ passed: true, pathRead: false });
    }
  });

  it('decides on req.path whatever the target cannot settle alone', () => {
    expect(route('/privacy/status')).toEqual({ passed: false, pathRead: true });
    expect(route('/.well-known/gpc.json')).toEqual({ passed: false, pathRead: true });
    // The path Express derives from these may differ from the target's start.
    expect(route('/privacy\\status').pathRead).toBe(true);
    expect(route('http://example.com/privacy/status').pathRead).toBe(true);
  });
});
