import { describe, expect, it } from 'vitest';
import { AsnTable } from '../../src/enrich/asn-table.js';
import {
  ASN_ATTRIBUTION,
  ASN_PACKAGE,
  findAsnData,
  loadAsnResolver,
} from '../../src/enrich/company.js';
import { normalizeIp } from '../../src/minimize/ip.js';
import { createLookups } from '../../src/pipeline/lookups.js';
import { PolicyError } from '../../src/policy/errors.js';
import { presets } from '../../src/policy/presets.js';

const ip = (text: string) => normalizeIp(text)!;

const V4 = [
  '16777216,16777471,13335,"Cloudflare, Inc."',
  'not,a,row',
  '134744064,134744319,15169,Google LLC',
  // Out of order on purpose: the table sorts what is not sorted.
  '50331648,50331903,7018,"AT&T ""Services"", Inc."',
].join('\n');
const V6 = [
  '2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC',
  '2001:db8::,2001:db8::ff,64496,Documentation',
  'bad::row::,x,1,y',
].join('\r\n');

describe('AsnTable', () => {
  it('finds the organisation by binary search, IPv4 and IPv6, inclusive ranges', async () => {
    const table = await AsnTable.fromCsv(V4, V6);
    expect(table.size).toEqual({ ipv4: 3, ipv6: 2 });
    expect(table.lookup(ip('1.0.0.0'))).toBe('Cloudflare, Inc.');
    expect(table.lookup(ip('1.0.0.255'))).toBe('Cloudflare, Inc.');
    expect(table.lookup(ip('1.0.1.0'))).toBeUndefined();
    expect(table.lookup(ip('8.8.8.8'))).toBe('Google LLC');
    expect(table.lookup(ip('3.0.0.7'))).toBe('AT&T "Services", Inc.');
    expect(table.lookup(ip('0.0.0.1'))).toBeUndefined();
    expect(table.lookup(ip('255.255.255.255'))).toBeUndefined();
    expect(table.lookup(ip('2001:4860:4860::8888'))).toBe('Google LLC');
    expect(table.lookup(ip('2001:db8::ff'))).toBe('Documentation');
    expect(table.lookup(ip('2001:db8::100'))).toBeUndefined();
    expect(table.lookup(ip('::1'))).toBeUndefined();
  });
});

describe('the built-in company resolver (optional data package)', () => {
  const files = findAsnData();

  it.skipIf(files === undefined)(
    'maps real addresses to the organisation that announces them',
    async () => {
      const resolve = await loadAsnResolver(files!);
      expect(resolve('8.8.8.8')).toBe('Google LLC');
      expect(resolve('8.8.8.0')).toBe('Google LLC');
      expect(resolve('::ffff:8.8.8.8')).toBe('Google LLC');
      expect(resolve('1.1.1.1')).toBe('Cloudflare, Inc.');
      expect(resolve('2001:4860:4860::8888')).toBe('Google LLC');
      for (const none of ['10.0.0.1', '127.0.0.1', '169.254.1.1', '::1', 'fe80::1', 'nonsense']) {
        expect(resolve(none), none).toBeUndefined();
      }
    },
  );

  it('a policy asking for the company without the package fails at startup, saying what to install', () => {
    const missing = () => {
      throw new Error('Cannot find module');
    };
    expect(findAsnData(missing)).toBeUndefined();
    let error: unknown;
    try {
      createLookups(
        [presets.classic],
        {
          timeoutMs: 200,
          concurrency: 16,
          cacheSize: 10,
          ttlMs: 1000,
          negativeTtlMs: 1000,
        },
        () => 'policy',
        () => undefined,
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).key).toBe('policy.categories.client.company');
    expect((error as PolicyError).message).toContain(`npm install ${ASN_PACKAGE}@`);
  });

  it("a resolver of the user's needs no package", () => {
    const lookups = createLookups(
      [presets.classic],
      {
        company: () => 'Example Networks',
        timeoutMs: 200,
        concurrency: 16,
        cacheSize: 10,
        ttlMs: 1000,
        negativeTtlMs: 1000,
      },
      () => 'policy',
      () => undefined,
    );
    expect(lookups.company()?.('1.2.3.0')).toBe('Example Networks');
  });

  it('exports the credit the CC BY 4.0 licence asks for', () => {
    expect(ASN_ATTRIBUTION.license).toBe('CC-BY-4.0');
    expect(ASN_ATTRIBUTION.text).toMatch(/RouteViews.*DB-IP.*CC BY 4\.0/s);
    expect(ASN_ATTRIBUTION.html).toContain('https://db-ip.com');
  });
});
