import cookieParser from 'cookie-parser';
import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, presets, privacyLog } from '../../src/index.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { CookieJar, secureOnce } from '../../src/request/cookie-jar.js';
import { serializeCookie, signVisitorId } from '../../src/request/cookies.js';
import type { Decision } from '../../src/request/decide.js';
import { Decider } from '../../src/request/decide.js';
import { exchange } from '../helpers/jar-exchange.js';

const SECRET = 'cookie-jar-test-secret-0123456789-abcdef';
const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const compiled = compilePolicy(presets.gdpr);
/** The consent cookie's value under the policy of these tests. */
const IN = compiled.consentValue;

const decide = (choice: 'in' | 'out' | undefined): Decision =>
  new Decider(compiled).decide({ gpc: false, dnt: false, choice, app: undefined });

describe('secureOnce', () => {
  it("reads Express's req.secure at most once, and not at all when nobody asks", () => {
    let reads = 0;
    const req = {
      get secure() {
        reads++;
        return true;
      },
    };
    const unused = secureOnce(req);
    expect(reads).toBe(0);
    void unused;
    const secure = secureOnce(req);
    expect(secure()).toBe(true);
    expect(secure()).toBe(true);
    expect(reads).toBe(1);
  });
});

describe('CookieJar', () => {
  afterEach(() => vi.restoreAllMocks());

  it('verifies a visitor cookie once and then knows it by its value', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const value = encodeURIComponent(signVisitorId(ID, SECRET));
    const verify = vi.spyOn(cookieParser, 'signedCookie');
    for (let i = 0; i < 3; i++) {
      const { req } = exchange(`pl_choice=${IN}; pl_vid=${value}`);
      expect(jar.read(req, false).visitorId).toBe(ID);
    }
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('knows the id it issued: the cookie coming back needs no check', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const first = exchange(`pl_choice=${IN}`);
    const id = jar.apply(first.res, false, jar.read(first.req, false), decide('in'));
    const line = first.setCookies().find((l) => l.startsWith('pl_vid='))!;
    const value = line.slice('pl_vid='.length, line.indexOf(';'));
    const verify = vi.spyOn(cookieParser, 'signedCookie');
    const back = jar.read(exchange(`pl_choice=${IN}; pl_vid=${value}`).req, false);
    expect(back.visitorId).toBe(id);
    expect(verify).not.toHaveBeenCalled();
    // Another jar (another process) never issued it: it checks the signature.
    const other = new CookieJar(compiled, [SECRET]);
    expect(other.read(exchange(`pl_vid=${value}`).req, false).visitorId).toBe(id);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('never remembers a value that failed, so a forgery fails every time', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const good = signVisitorId(ID, SECRET);
    const forged = `${good.slice(0, -2)}xx`;
    const other = signVisitorId(ID, 'another-secret-0123456789-abcdefghijkl');
    expect(jar.read(exchange(`pl_vid=${encodeURIComponent(good)}`).req, false).visitorId).toBe(ID);
    const verify = vi.spyOn(cookieParser, 'signedCookie');
    for (let i = 0; i < 2; i++) {
      for (const bad of [forged, other, `s:${ID}`, ID]) {
        const state = jar.read(exchange(`pl_vid=${encodeURIComponent(bad)}`).req, false);
        expect(state.visitorId).toBeUndefined();
        // The name is still seen, so the invalid cookie is expired.
        expect(state.visitorNames).toEqual(['pl_vid']);
      }
    }
    expect(verify.mock.calls.length).toBeGreaterThanOrEqual(6);
  });

  it('keeps verifying with every secret of a rotation', () => {
    const old = 'old-secret-0123456789-abcdefghijklmnopq';
    const jar = new CookieJar(compiled, [SECRET, old]);
    const value = encodeURIComponent(signVisitorId(ID, old));
    expect(jar.read(exchange(`pl_vid=${value}`).req, false).visitorId).toBe(ID);
    expect(jar.read(exchange(`pl_vid=${value}`).req, false).visitorId).toBe(ID);
    // A jar without the old secret does not accept it, whatever another jar has seen.
    const rotated = new CookieJar(compiled, [SECRET]);
    expect(rotated.read(exchange(`pl_vid=${value}`).req, false).visitorId).toBeUndefined();
  });

  it('reads the secure flag only for requests that carry its cookies', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const flag = vi.fn(() => false);
    expect(jar.read(exchange(undefined).req, flag)).toMatchObject({ visitorId: undefined });
    expect(jar.read(exchange('sid=1; lang=en').req, flag)).toMatchObject({ choice: undefined });
    expect(flag).not.toHaveBeenCalled();
    expect(jar.read(exchange('pl_choice=out').req, flag).choice).toBe('out');
    expect(flag).toHaveBeenCalled();
  });

  it('needs the secure flag in apply only to set or expire a cookie', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const flag = vi.fn(() => true);
    const none = exchange(undefined);
    expect(jar.apply(none.res, flag, jar.read(none.req, flag), decide(undefined))).toBeUndefined();
    expect(flag).not.toHaveBeenCalled();
    expect(none.setCookies()).toEqual([]);
    const consent = exchange(`__Host-pl_choice=${IN}`);
    const id = jar.apply(consent.res, flag, jar.read(consent.req, flag), decide('in'));
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(consent.setCookies()[0]).toMatch(/^__Host-pl_vid=s%3A/);
  });

  it('expires each name with one text whatever the scheme: Secure for __Host- names only', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const expected = [
      serializeCookie({ name: 'pl_vid', value: '', maxAgeMs: 0, secure: false }),
      serializeCookie({ name: '__Host-pl_vid', value: '', maxAgeMs: 0, secure: true }),
    ];
    expect(expected[0]).toContain('Max-Age=0');
    expect(expected[0]).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(expected[0]).not.toContain('Secure');
    expect(expected[1]).toContain('; Secure');
    for (const secure of [false, true, false]) {
      const { req, res, setCookies } = exchange('pl_vid=a; __Host-pl_vid=b');
      const state = jar.read(req, secure);
      expect(jar.apply(res, secure, state, decide('out'))).toBeUndefined();
      expect(setCookies()).toEqual(expected);
    }
  });

  it('gives a HEAD request no new visitor id, and keeps a valid one', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const flag = vi.fn(() => false);
    const fresh = exchange(`pl_choice=${IN}`, 'HEAD');
    expect(jar.apply(fresh.res, flag, jar.read(fresh.req, false), decide('in'))).toBeUndefined();
    expect(fresh.setCookies()).toEqual([]);
    expect(flag).not.toHaveBeenCalled();
    const value = encodeURIComponent(signVisitorId(ID, SECRET));
    const known = exchange(`pl_choice=${IN}; pl_vid=${value}`, 'HEAD');
    expect(jar.apply(known.res, false, jar.read(known.req, false), decide('in'))).toBe(ID);
    expect(known.setCookies()).toEqual([]);
  });

  it('reads an opt-out under either name, and consent only under the name of the scheme', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const read = (cookie: string, secure: boolean) => jar.read(exchange(cookie).req, secure);
    expect(read(`pl_choice=out; __Host-pl_choice=${IN}`, true).choice).toBe('out');
    expect(read(`pl_choice=${IN}; __Host-pl_choice=out`, false).choice).toBe('out');
    expect(read(`pl_choice=${IN}`, true).choice).toBeUndefined();
    expect(read(`__Host-pl_choice=${IN}`, false).choice).toBeUndefined();
    expect(read(`__Host-pl_choice=${IN}`, true).choice).toBe('in');
    expect(read(`pl_choice=${IN}`, false).choice).toBe('in');
    expect(read(`pl_choice=${IN}; __Host-pl_choice=${IN}`, true).consentNames).toEqual([
      'pl_choice',
      '__Host-pl_choice',
    ]);
    expect(read(`pl_choice=out; __Host-pl_choice=${IN}`, true).consentNames).toEqual([
      '__Host-pl_choice',
    ]);
  });

  it('reads a consent with other tokens than its own by its tokens, once per value', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const read = (value: string) => jar.read(exchange(`pl_choice=${value}`).req, false);
    const wider = `${IN}.extra`;
    const narrower = `in.${compiled.consentScope.slice(1).join('.')}`;
    const splits = vi.spyOn(String.prototype, 'split');
    try {
      for (let i = 0; i < 3; i++) {
        expect(read(wider)).toMatchObject({ choice: 'in', consentOutdated: false });
        expect(read(narrower)).toMatchObject({ choice: undefined, consentOutdated: true });
      }
      expect(splits).toHaveBeenCalledTimes(2);
      // Far more values than it keeps: each is still read by its tokens.
      for (let i = 0; i < 200; i++) {
        expect(read(`${wider}.t${i}`).choice).toBe('in');
        expect(read(`${narrower}.t${i}`).consentOutdated).toBe(true);
      }
    } finally {
      splits.mockRestore();
    }
    expect(read(wider).choice).toBe('in');
    expect(read(narrower).consentOutdated).toBe(true);
  });

  it('forgets: takes back an id not yet sent, expires the visitor cookies and a consent', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const { req, res, setCookies } = exchange(`pl_choice=${IN}; __Host-pl_vid=x; pl_vid=y`);
    const state = jar.read(req, false);
    expect(jar.apply(res, false, state, decide('in'))).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(jar.forget(res, state)).toBe(true);
    const lines = setCookies();
    expect(lines).toHaveLength(3);
    expect(lines.every((line) => line.includes('Max-Age=0'))).toBe(true);
    expect(lines.map((line) => line.split('=')[0])).toEqual([
      'pl_vid',
      '__Host-pl_vid',
      'pl_choice',
    ]);
    const out = exchange('pl_choice=out');
    expect(jar.forget(out.res, jar.read(out.req, false))).toBe(false);
    expect(out.setCookies()).toEqual([]);
  });
});

describe('the middleware and req.secure', () => {
  const store = new MemoryStore();
  const log = privacyLog({ store, secret: SECRET, warnings: false, batch: { maxDelayMs: 0 } });
  afterAll(() => log.close());
  let reads = 0;
  const app = express();
  app.set('trust proxy', 'loopback');
  const original = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(app.request), 'secure');
  Object.defineProperty(app.request, 'secure', {
    get(this: unknown) {
      reads++;
      return original?.get?.call(this) as boolean;
    },
  });
  app.use(log);
  app.get('/', (_req, res) => {
    res.send('ok');
  });

  it('reads it not at all for a request that neither carries nor gets a cookie', async () => {
    reads = 0;
    await request(app).get('/').expect(200);
    expect(reads).toBe(0);
  });

  it('reads it once for a request that carries cookies and gets one', async () => {
    reads = 0;
    const res = await request(app)
      .get('/')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', `__Host-pl_choice=${IN}`)
      .expect(200);
    expect(reads).toBe(1);
    expect(String(res.headers['set-cookie'])).toMatch(/__Host-pl_vid=s%3A.*Secure/);
    await log.flush();
    expect(store.records.at(-1)?.nonessential?.visitorId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
