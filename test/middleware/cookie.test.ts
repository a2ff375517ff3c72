import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { presets } from '../../src/index.js';
import { makeApp, SECRET, setCookies, storedAfter } from '../helpers/app.js';

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
  it('is HttpOnly, SameSite=Lax, Path=/, without Domain, and not Secure on plain HTTP (K1)', async () => {
    const line = visitorCookie(setCookies(await request(app).get('/')))!;
    expect(line).toBeDefined();
    const attrs = attributes(line);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.get('samesite')).toBe('Lax');
    expect(attrs.get('path')).toBe('/');
    expect(attrs.has('domain')).toBe(false);
    expect(attrs.has('secure')).toBe(false);
  });

  it('uses the __Host- prefix and Secure on secure requests (K1)', async () => {
    const res = await request(app).get('/').set('X-Forwarded-Proto', 'https');
    const line = visitorCookie(setCookies(res), '__Host-pl_vid')!;
    expect(line).toBeDefined();
    const attrs = attributes(line);
    expect(attrs.has('secure')).toBe(true);
    expect(attrs.get('path')).toBe('/');
    expect(attrs.has('domain')).toBe(false);
  });

  it('lives 13 months at most (K2)', async () => {
    const attrs = attributes(visitorCookie(setCookies(await request(app).get('/')))!);
    const maxAge = Number(attrs.get('max-age'));
    expect(maxAge).toBeGreaterThan(300 * 86_400);
    expect(maxAge).toBeLessThanOrEqual(395 * 86_400);
    const expires = Date.parse(attrs.get('expires')!);
    expect(expires - Date.now()).toBeLessThanOrEqual(395 * 86_400_000);
  });

  it('is not extended by later visits (K3)', async () => {
    const first = visitorCookie(setCookies(await request(app).get('/')))!;
    const pair = first.split(';')[0]!;
    const again = await request(app).get('/products/1').set('Cookie', pair);
    expect(setCookies(again)).toEqual([]);
    const records = await storedAfter(log, store);
    const id = decodeURIComponent(pair.split('=')[1]!).slice(2).split('.')[0];
    expect(records.at(-1)!.nonessential?.visitorId).toBe(id);
  });

  it('holds 128 random bits, signed, and encodes nothing about the visitor (K4)', async () => {
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

  it('replaces a tampered, foreign or unsigned value instead of trusting it (K4)', async () => {
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
