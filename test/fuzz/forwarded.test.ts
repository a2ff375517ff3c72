import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presets } from '../../src/index.js';
import { truncateIp } from '../../src/minimize/ip.js';
import { guardUnhandledRejections } from '../pipeline/fixtures.js';
import { addressIn, sixToFourClient, spellings } from './addresses.js';
import type { HostileRequest } from './hostile-request.js';
import { runOptions } from './run-options.js';
import { type FuzzSite, startSite } from './site.js';
import { ipv4, ipv6 } from './text-arbitraries.js';

// Behind a trusted proxy, the address Express settles on is the client's, in whatever form the
// proxy wrote it. Both properties here reproduce findings of an outside review (6to4 addresses,
// forwarded addresses with ports) and guard their fixes.

guardUnhandledRejections();

const get = (forwardedFor: string): HostileRequest => ({
  method: 'GET',
  target: '/',
  headers: [
    ['Host', 'example.com'],
    ['X-Forwarded-For', forwardedFor],
  ],
});

/** A 6to4 address: `2002:` and the client's IPv4 address in the next 32 bits. */
const sixToFour = fc
  .tuple(ipv4, fc.array(fc.nat(0xffff), { minLength: 5, maxLength: 5 }))
  .filter(([, rest]) => rest.some((g) => g !== 0))
  .map(([v4, rest]) => {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    const embedded = [(a << 8) | b, (c << 8) | d];
    return ['2002', ...embedded, ...rest].map((g) => g.toString(16)).join(':');
  });

/** An address as a proxy may write it with the client's port, or in brackets. */
const withPort = fc.oneof(
  fc.tuple(ipv4, fc.integer({ min: 1, max: 65535 })).map(([a, p]) => `${a}:${p}`),
  fc.tuple(ipv6, fc.integer({ min: 1, max: 65535 })).map(([a, p]) => `[${a}]:${p}`),
  ipv6.map((a) => `[${a}]`),
);

describe.each(['gdpr', 'ccpa', 'cookieless'] as const)('%s behind a proxy', (name) => {
  let site: FuzzSite;
  beforeAll(async () => {
    site = await startSite(presets[name], 'loopback');
  });
  afterAll(() => site.close());

  // Finding "6to4 address truncated to /48 keeps all of the embedded IPv4": fixed by minimising
  // a 2002::/16 address as the IPv4 address it carries.
  it('stores no part of the IPv4 address a 6to4 client carries', async () => {
    await fc.assert(
      fc.asyncProperty(sixToFour, async (address) => {
        await site.send(get(address), '127.0.0.1');
        await site.log.flush();
        const { client, security } = site.store.records.at(-1)!;
        // Only where addresses go: short hex pairs such as `100:1` could match elsewhere.
        const text = JSON.stringify({ client, security }).toLowerCase();
        const v4 = sixToFourClient(address)!;
        const b = v4.bytes;
        const hex = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!].map((g) => g.toString(16));
        for (const form of [...spellings(v4), hex.join(':')]) expect(text).not.toContain(form);
      }),
      runOptions(20),
    );
  });

  // Finding "X-Forwarded-For values with a port give a record without an address": fixed by
  // stripping ports and brackets from the forwarded address.
  it('stores a forwarded address written with a port or brackets, truncated', async () => {
    const prefixes = presets[name].categories.client!.ip;
    await fc.assert(
      fc.asyncProperty(withPort, async (written) => {
        await site.send(get(written), '127.0.0.1');
        await site.log.flush();
        const record = site.store.records.at(-1)!;
        const ip = addressIn(written)!;
        expect(record.client?.ip).toBe(truncateIp(ip, prefixes.ipv4Prefix, prefixes.ipv6Prefix));
      }),
      runOptions(20),
    );
  });
});
