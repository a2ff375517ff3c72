import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompanyResolver, findAsnData, loadAsnResolver } from '../../src/enrich/company.js';
import { type GeoLookup, loadGeo } from '../../src/enrich/geo.js';
import { normalizeIp, truncateIp } from '../../src/minimize/ip.js';
import { prefixPreservingPseudonym } from '../../src/minimize/prefix-preserving.js';
import { RotatingKey } from '../../src/minimize/rotating-key.js';

const DAY = 86_400_000;

interface AddressCase {
  raw: string;
  /** The canonical form every later step sees. */
  normal: string;
  /** Truncated to /24 or /48: what is stored and what lookups use. */
  truncated: string;
  country: string | undefined;
  company: string | undefined;
}

// biome-ignore format: a table reads best one case per line
const CASES: [string, AddressCase][] = [
  ['public IPv4', { raw: '8.8.8.8', normal: '8.8.8.8', truncated: '8.8.8.0', country: 'US', company: 'Google LLC' }],
  ['public IPv4, GB', { raw: '81.2.69.142', normal: '81.2.69.142', truncated: '81.2.69.0', country: 'GB', company: 'Andrews & Arnold Ltd' }],
  ['public IPv6', { raw: '2001:4860:4860::8888', normal: '2001:4860:4860::8888', truncated: '2001:4860:4860::', country: 'US', company: 'Google LLC' }],
  ['IPv6, expanded and upper case', { raw: '2001:4860:4860:0000:0000:0000:0000:8888'.toUpperCase(), normal: '2001:4860:4860::8888', truncated: '2001:4860:4860::', country: 'US', company: 'Google LLC' }],
  ['IPv4-mapped IPv6, dotted', { raw: '::ffff:8.8.8.8', normal: '8.8.8.8', truncated: '8.8.8.0', country: 'US', company: 'Google LLC' }],
  ['IPv4-mapped IPv6, hex', { raw: '::ffff:808:808', normal: '8.8.8.8', truncated: '8.8.8.0', country: 'US', company: 'Google LLC' }],
  ['private 10/8', { raw: '10.1.2.3', normal: '10.1.2.3', truncated: '10.1.2.0', country: undefined, company: undefined }],
  ['private 192.168/16', { raw: '192.168.1.20', normal: '192.168.1.20', truncated: '192.168.1.0', country: undefined, company: undefined }],
  ['unique local IPv6', { raw: 'fd12:3456:789a:1::1', normal: 'fd12:3456:789a:1::1', truncated: 'fd12:3456:789a::', country: undefined, company: undefined }],
  ['loopback IPv4', { raw: '127.0.0.1', normal: '127.0.0.1', truncated: '127.0.0.0', country: undefined, company: undefined }],
  ['loopback IPv6', { raw: '::1', normal: '::1', truncated: '::', country: undefined, company: undefined }],
  ['link-local IPv4', { raw: '169.254.10.20', normal: '169.254.10.20', truncated: '169.254.10.0', country: undefined, company: undefined }],
  ['link-local IPv6 with zone', { raw: 'fe80::1%eth0', normal: 'fe80::1', truncated: 'fe80::', country: undefined, company: undefined }],
];

/** A daily key on a hand-moved clock, whose key buffers the test keeps to see them destroyed. */
function dailyKey() {
  const clock = { time: Date.UTC(2025, 5, 1, 12) };
  const issued: Buffer[] = [];
  const key = new RotatingKey({
    periodMs: DAY,
    now: () => clock.time,
    randomBytes: (size) => {
      const buffer = randomBytes(size);
      issued.push(buffer);
      return buffer;
    },
  });
  return { clock, issued, key };
}

describe('address cases: truncation, hash, geo and company', () => {
  let geo: GeoLookup;
  let company: CompanyResolver | undefined;
  beforeAll(async () => {
    geo = await loadGeo();
    const files = findAsnData();
    company = files === undefined ? undefined : await loadAsnResolver(files);
  });

  describe.each(CASES)('%s', (_name, c) => {
    const ip = normalizeIp(c.raw)!;

    it('normalises and truncates', () => {
      expect(ip.address).toBe(c.normal);
      expect(truncateIp(ip, 24, 48)).toBe(c.truncated);
    });

    it('hashes: same key same value, rotated key another, old key gone', () => {
      const { clock, issued, key } = dailyKey();
      const first = key.hmac(ip.address);
      expect(key.hmac(normalizeIp(c.raw)!.address)).toBe(first);
      expect(first).not.toContain(c.normal);
      const period = key.keyId();
      clock.time += DAY;
      const next = key.hmac(ip.address);
      expect(next).not.toBe(first);
      expect(key.hasKeyFor(period)).toBe(false);
      expect(issued[0]!.every((byte) => byte === 0)).toBe(true);
      key.close();
      expect(issued[1]!.every((byte) => byte === 0)).toBe(true);
    });

    it('locates the truncated address, country and EU flag only at country precision', () => {
      const found = geo.lookup(c.truncated, 'country');
      expect(found?.country).toBe(c.country);
      if (found) expect(Object.keys(found).sort()).toEqual(['country', 'eu']);
    });

    it('names the company from the truncated address', ({ skip }) => {
      if (company === undefined) skip('the optional @ip-location-db/asn package is not installed');
      expect(company!(c.truncated)).toBe(c.company);
    });
  });

  it('several processes sharing a store hold different keys: pseudonyms never match across them', () => {
    const a = dailyKey();
    const b = dailyKey();
    expect(a.key.hmac('8.8.8.8')).not.toBe(b.key.hmac('8.8.8.8'));
    a.key.close();
    b.key.close();
  });
});

describe('prefix-preserving pseudonym (security category)', () => {
  const key = randomBytes(32);
  const bits = (text: string): string =>
    normalizeIp(text)!
      .bytes.map((b) => b.toString(2).padStart(8, '0'))
      .join('');
  const common = (a: string, b: string): number => {
    let n = 0;
    while (n < a.length && a[n] === b[n]) n++;
    return n;
  };
  const pseudo = (text: string, k = key) => prefixPreservingPseudonym(normalizeIp(text)!, k);

  it('is deterministic per key, differs between keys, and keeps the family', () => {
    expect(pseudo('203.0.113.7')).toBe(pseudo('203.0.113.7'));
    expect(pseudo('203.0.113.7', randomBytes(32))).not.toBe(pseudo('203.0.113.7'));
    expect(normalizeIp(pseudo('203.0.113.7'))?.family).toBe(4);
    expect(normalizeIp(pseudo('2001:db8::7'))?.family).toBe(6);
    expect(() => prefixPreservingPseudonym(normalizeIp('1.2.3.4')!, randomBytes(16))).toThrow(
      RangeError,
    );
  });

  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
  const v6 = fc
    .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
    .map((g) => normalizeIp(g.map((x) => x.toString(16)).join(':'))!.address);

  it('two addresses sharing n leading bits give pseudonyms sharing exactly n', () => {
    for (const family of [v4, v6]) {
      fc.assert(
        fc.property(family, family, (a, b) => {
          expect(common(bits(pseudo(a)), bits(pseudo(b)))).toBe(common(bits(a), bits(b)));
        }),
        { numRuns: 200 },
      );
    }
  });

  afterAll(() => key.fill(0));
});
