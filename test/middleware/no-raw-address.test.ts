import fc from 'fast-check';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { definePolicy, type PrivacyLogOptions, presets } from '../../src/index.js';
import { normalizeIp } from '../../src/minimize/ip.js';
import { makeApp, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

/** Every spelling of an address that must not appear in a stored record. */
function spellings(raw: string): string[] {
  const ip = normalizeIp(raw)!;
  const b = ip.bytes;
  const hex4 = (n: number) => n.toString(16).padStart(4, '0');
  if (ip.family === 4) {
    const hi = (b[0]! << 8) | b[1]!;
    const lo = (b[2]! << 8) | b[3]!;
    return [
      ip.address,
      `::ffff:${ip.address}`,
      `ffff:${hi.toString(16)}:${lo.toString(16)}`,
      `0000:0000:0000:0000:0000:ffff:${hex4(hi)}:${hex4(lo)}`,
    ];
  }
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  return [ip.address, groups.map(hex4).join(':'), groups.map((g) => g.toString(16)).join(':')];
}

/** How the address reaches the app: as a proxy would write it, in any of its forms. */
const ipv4 = fc
  .tuple(
    fc.integer({ min: 1, max: 223 }),
    fc.nat(255),
    fc.nat(255),
    fc.integer({ min: 1, max: 255 }),
  )
  .chain(([a, b, c, d]) => {
    const dotted = `${a}.${b}.${c}.${d}`;
    const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    return fc.constantFrom(dotted, `::ffff:${dotted}`, `::ffff:${hex}`, `::FFFF:${dotted}`);
  });
const ipv6 = fc
  .tuple(fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }), fc.boolean())
  // Bits beyond /48 must be set: an address that is its own network has nothing to hide.
  .filter(([g]) => g.slice(3).some((x) => x !== 0) && g[0] !== 0)
  .map(([g, expanded]) =>
    expanded
      ? g.map((x) => x.toString(16).padStart(4, '0')).join(':')
      : normalizeIp(g.map((x) => x.toString(16)).join(':'))!.address,
  );

// PTR names that spell the address out: only the registrable domain may be kept.
const leakyReverse = (address: string) => [
  `host-${address.replaceAll(/[.:]/g, '-')}.dsl.example.net`,
  `${address}.example.net`,
];
const hashing = definePolicy({
  ...presets.gdpr,
  name: 'hashed',
  categories: {
    ...presets.gdpr.categories,
    client: {
      ...presets.gdpr.categories.client!,
      ip: { mode: 'hash' },
      geo: 'city',
      domain: true,
      company: true,
      enrichFromFullAddress: true,
    },
  },
});
const truncating = definePolicy({
  ...presets.ccpa,
  name: 'truncated-lookups',
  categories: {
    ...presets.ccpa.categories,
    client: { ...presets.ccpa.categories.client!, domain: true, company: true },
  },
});
const noAddress = definePolicy({
  ...presets.cookieless,
  name: 'no-address',
  categories: {
    ...presets.cookieless.categories,
    client: { ...presets.cookieless.categories.client!, ip: { mode: 'none' } },
    security: { ...presets.gdpr.categories.security! },
  },
});

const CASES: [string, Partial<PrivacyLogOptions>][] = [
  ['gdpr (truncate, security pseudonym)', { policy: presets.gdpr }],
  ['cookieless (daily visitor hash)', { policy: presets.cookieless }],
  [
    'hash, lookups from the full address',
    { policy: hashing, enrich: { reverse: leakyReverse, company: () => 'Example Networks' } },
  ],
  [
    'truncate, lookups from the truncated address',
    // A resolver that echoes what it is given shows that it is given the truncated address.
    { policy: truncating, enrich: { reverse: leakyReverse, company: (a) => `AS of ${a}` } },
  ],
  ['address none', { policy: noAddress }],
];

describe.each(CASES)('no stored record holds the raw address: %s', (_name, options) => {
  const { app, log, store } = makeApp({ warnings: false, ...options });
  afterAll(() => log.close());

  it('for random IPv4 and IPv6 addresses in every spelling', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(ipv4, ipv6), fc.boolean(), async (address, attack) => {
        const before = store.records.length;
        await request(app)
          .get(attack ? '/attack' : '/products/7')
          .set('X-Forwarded-For', address)
          .set('Cookie', consentCookie());
        const records = await storedAfter(log, store);
        expect(records.length).toBe(before + 1);
        const text = JSON.stringify(records.at(-1)).toLowerCase();
        for (const form of spellings(address)) expect(text).not.toContain(form.toLowerCase());
      }),
      { numRuns: 60 },
    );
  });
});

describe('the policy that stores the address in full', () => {
  const { app, log, store } = makeApp({ policy: presets.classic, warnings: false });
  afterAll(() => log.close());

  it('stores it, canonical, and nothing else does', async () => {
    await request(app).get('/').set('X-Forwarded-For', '::ffff:203.0.113.7');
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(record.client?.ip).toBe('203.0.113.7');
  });
});
