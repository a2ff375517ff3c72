import { serialize } from 'cookie';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeCookieValue,
  findCookies,
  newVisitorId,
  parseCookies,
  serializeCookie,
  signVisitorId,
} from '../../src/request/cookies.js';

describe('findCookies reads what parseCookies reads', () => {
  const NAMES = ['pl_vid', '__Host-pl_vid', 'pl_choice', '__Host-pl_choice'];
  // Pairs built from the characters that matter to a parser: separators, blanks, quotes, `%`.
  const token = fc.oneof(
    fc.constantFrom(...NAMES, 'pl_vidx', 'xpl_vid', 'sid', '', ' pl_vid', 'pl_vid '),
    fc.string({ unit: fc.constantFrom('a', 'p', 'l', '_', '=', ';', ' ', '\t', '%', '2', '"') }),
  );
  const value = fc.oneof(
    fc.constantFrom('in', 'out', 's%3Aabc.def', '%E0%A4%A', ' x ', '', '"q"'),
    fc.string({ unit: fc.constantFrom('a', '=', ' ', '\t', '%', '4', '1', ',', '"') }),
  );
  const header = fc
    .tuple(
      fc.array(fc.tuple(token, fc.boolean(), value), { maxLength: 8 }),
      fc.constantFrom(';', '; ', ' ;'),
    )
    .map(([pairs, separator]) =>
      pairs.map(([name, withEq, v]) => (withEq ? `${name}=${v}` : name)).join(separator),
    );

  it('for every header, each name: the same value once decoded', () => {
    fc.assert(
      fc.property(header, (text) => {
        const expected = parseCookies(text);
        const found: (string | undefined)[] = [];
        findCookies(text, NAMES, found);
        NAMES.forEach((name, i) => {
          const raw = found[i];
          expect(raw === undefined ? undefined : decodeCookieValue(raw)).toBe(expected[name]);
        });
      }),
      { numRuns: 20_000 },
    );
  });

  it('keeps the first of a name, trims blanks, and leaves values encoded', () => {
    const found: (string | undefined)[] = [];
    findCookies(' pl_vid = s%3Aa.b ; pl_vid=second;x;pl_choice=out', NAMES, found);
    expect(found).toEqual(['s%3Aa.b', undefined, 'out', undefined]);
    findCookies('', NAMES, found);
    expect(found).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('decodes as the cookie parser does, keeping what does not decode', () => {
    expect(decodeCookieValue('s%3Aabc')).toBe('s:abc');
    expect(decodeCookieValue('plain')).toBe('plain');
    expect(decodeCookieValue('%E0%A4%A')).toBe('%E0%A4%A');
  });
});

describe('serializeCookie', () => {
  afterEach(() => vi.useRealTimers());

  it('writes what the cookie package writes for the same options', () => {
    vi.useFakeTimers();
    for (const now of [Date.UTC(2025, 5, 1, 12, 0, 0, 999), Date.UTC(2025, 5, 1, 12, 0, 1)]) {
      vi.setSystemTime(now);
      for (const spec of [
        { name: 'pl_vid', value: signVisitorId('AAAAAAAAAAAAAAAAAAAAAA', 'secret'), secure: false },
        { name: '__Host-pl_vid', value: 's:a+b/c=', secure: true },
        { name: 'pl_choice', value: 'in', secure: true },
        { name: 'pl_choice', value: '', secure: false },
      ]) {
        for (const maxAgeMs of [0, 999, 1000, 33_696_000_000]) {
          const seconds = Math.floor(maxAgeMs / 1000);
          const expected = serialize(spec.name, spec.value, {
            httpOnly: true,
            sameSite: 'lax',
            path: '/',
            secure: spec.secure,
            maxAge: seconds,
            expires: new Date(seconds === 0 ? 0 : now + seconds * 1000),
          });
          expect(serializeCookie({ ...spec, maxAgeMs })).toBe(expected);
        }
      }
    }
  });
});

describe('newVisitorId', () => {
  it('is 22 characters of base64url, and never repeats across its blocks of random bytes', () => {
    const ids = Array.from({ length: 1000 }, () => newVisitorId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
