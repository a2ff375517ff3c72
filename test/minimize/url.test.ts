import { describe, expect, it } from 'vitest';
import { redactValue } from '../../src/minimize/identifiers.js';
import { SECRET_PARAM } from '../../src/minimize/path.js';
import { ELLIPSIS } from '../../src/minimize/text.js';
import { minimizePath } from '../../src/minimize/url.js';

const none = new Set<string>();
const allow = (...names: string[]) => new Set(names);

describe('minimizePath', () => {
  it('keeps an origin-form path and drops the query by default', () => {
    expect(minimizePath('/a/b', none)).toBe('/a/b');
    expect(minimizePath('/a/b?x=1&y=2', none)).toBe('/a/b');
    expect(minimizePath('/', none)).toBe('/');
  });

  it('keeps percent-encoding in the path as received', () => {
    expect(minimizePath('/caf%C3%A9/a%20b', none)).toBe('/caf%C3%A9/a%20b');
    expect(minimizePath('/a%0Ab', none)).toBe('/a%0Ab');
  });

  it('never keeps the host of an absolute-form target', () => {
    expect(minimizePath('http://evil.example/x?y=1', none)).toBe('/x');
    expect(minimizePath('https://user:pw@evil.example:8443/a/b?q=1#f', allow('q'))).toBe(
      '/a/b?q=1',
    );
    expect(minimizePath('HTTP://evil.example', none)).toBe('/');
    expect(minimizePath('http://evil.example?q=1', allow('q'))).toBe('/?q=1');
    expect(minimizePath('http://evil.example#frag', none)).toBe('/');
  });

  it('keeps only allow-listed parameters, in their original order', () => {
    const url = '/search?utm_source=news&q=red+shoes&page=2&ref=x&sort=price';
    expect(minimizePath(url, allow('sort', 'q', 'page'))).toBe(
      '/search?q=red+shoes&page=2&sort=price',
    );
    expect(minimizePath('/s?Q=1&q=2', allow('q'))).toBe('/s?q=2');
    expect(minimizePath('/s?a=1&a=2', allow('a'))).toBe('/s?a=1&a=2');
    expect(minimizePath('/s?other=1', allow('q'))).toBe('/s');
  });

  it('re-encodes kept parameters', () => {
    expect(minimizePath('/s?q=caf%C3%A9%20au%20lait', allow('q'))).toBe('/s?q=caf%C3%A9+au+lait');
    expect(minimizePath('/s?q=a%0Ab', allow('q'))).toBe('/s?q=a%0Ab');
    expect(minimizePath('/s?q=%E0%A4%A', allow('q'))).toBe('/s?q=%EF%BF%BD%25A');
  });

  it('drops parameters with secret-looking names even when allow-listed', () => {
    const names = [
      'token',
      'access_token',
      'password',
      'passwd',
      'pwd',
      'client_secret',
      'api_key',
      'apiKey',
      'session',
      'PHPSESSID',
      'sid',
      'auth',
      'code',
      'X-Amz-Signature',
      'sig',
      'email',
      'mail',
      'otp',
      'jwt',
      'credential',
      'ticket',
      'nonce',
    ];
    for (const name of names) {
      expect(SECRET_PARAM.test(name)).toBe(true);
      expect(minimizePath(`/cb?${name}=abc&page=1`, allow(name, 'page'))).toBe('/cb?page=1');
    }
  });

  it('redacts e-mail addresses, JWTs, long hex and long digit runs in kept values', () => {
    const keep = allow('q', 'to', 'id', 'n');
    expect(minimizePath('/s?q=jane.doe%40example.com', keep)).toBe('/s?q=%5Bredacted-email%5D');
    expect(redactValue('contact jane.doe+x@mail.example.co.uk now')).toBe(
      'contact [redacted-email] now',
    );
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    expect(redactValue(jwt)).toBe('[redacted-jwt]');
    expect(redactValue(`Bearer ${jwt}`)).toBe('Bearer [redacted-jwt]');
    expect(redactValue('d41d8cd98f00b204e9800998ecf8427e')).toBe('[redacted]');
    expect(redactValue('x-0123456789abcdef0123456789ABCDEF01-y')).toBe('x-[redacted]-y');
    expect(redactValue('+4915112345678')).toBe('+[redacted]');
    expect(redactValue('123456789')).toBe('[redacted]');
    expect(minimizePath('/s?n=12345678', keep)).toBe('/s?n=12345678');
    expect(redactValue('www.example.com')).toBe('www.example.com');
    expect(redactValue('deadbeef')).toBe('deadbeef');
  });

  it('never keeps the fragment', () => {
    expect(minimizePath('/a#section', none)).toBe('/a');
    expect(minimizePath('/a?q=1#x?y=2', allow('q', 'y'))).toBe('/a?q=1');
    expect(minimizePath('/a#x?q=1', allow('q'))).toBe('/a');
  });

  it('redacts secret path parameters such as jsessionid', () => {
    expect(minimizePath('/shop;jsessionid=ABC123DEF/cart', none)).toBe(
      '/shop;jsessionid=[redacted]/cart',
    );
    expect(minimizePath('/map;lat=1;lng=2', none)).toBe('/map;lat=1;lng=2');
  });

  it('is safe on garbage', () => {
    expect(minimizePath('', none)).toBe('');
    expect(minimizePath('*', none)).toBe('*');
    expect(minimizePath('//double/slash?q=1', allow('q'))).toBe('//double/slash?q=1');
    expect(minimizePath('?', allow('q'))).toBe('');
    expect(minimizePath('/a?', allow('q'))).toBe('/a');
    expect(minimizePath('/a?&&=&q', allow('q'))).toBe('/a?q=');
    expect(minimizePath('/a\u0085b\u2028', none)).toBe('/a\\u0085b\\u2028');
    expect(minimizePath(undefined as unknown as string, none)).toBe('');
  });

  it('caps the length', () => {
    const out = minimizePath(`/${'abcd/'.repeat(1000)}`, none);
    expect(out).toHaveLength(2048);
    expect(out.endsWith(ELLIPSIS)).toBe(true);
    expect(minimizePath('/abcdef', none, 4)).toBe(`/ab${ELLIPSIS}`);
  });

  it('looks at whole segments only, up to twice the length kept, and keeps no query then', () => {
    // Redaction may shorten what it keeps, but never shows part of a segment it did not read.
    const emails = Array.from({ length: 200 }, (_, i) => `/jane.doe${i}@example.com`).join('');
    const out = minimizePath(`${emails}?q=1`, allow('q'), 2048, 'ids');
    expect(out.endsWith(`/:email/${ELLIPSIS}`)).toBe(true);
    expect(out).not.toContain('@');
    expect(out).not.toContain('q=1');
    expect(minimizePath(`/${'a'.repeat(5000)}`, none)).toBe(`/${ELLIPSIS}`);
    expect(minimizePath(`/users/${'7'.repeat(5000)}/x`, none, 2048, 'ids')).toBe(
      `/users/${ELLIPSIS}`,
    );
  });

  it('redacts a long hostile value whole, or drops it when too long to look at', () => {
    // How the time grows with such input is in redaction-time.test.ts; a test asserts no timing.
    const long = (n: number) => `/s?q=${'a'.repeat(n)}@${'b'.repeat(n)}.com`;
    expect(minimizePath(long(400), allow('q'))).toBe('/s?q=%5Bredacted-email%5D');
    expect(minimizePath(long(20_000), allow('q'))).toBe('/s');
  });
});
