import { describe, expect, it } from 'vitest';
import { GeoCache, type GeoLookup, loadGeo } from '../../src/enrich/geo.js';
import { UserAgentParser } from '../../src/enrich/user-agent.js';
import { type NormalIp, normalizeIp, truncateNetwork } from '../../src/minimize/ip.js';
import { createProcessor, lookupCacheKey } from '../../src/pipeline/process.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { definePolicy } from '../../src/policy/define.js';
import { presets } from '../../src/policy/presets.js';
import type { GeoInfo } from '../../src/record.js';
import { capturedGet } from '../helpers/captured.js';

/** A GeoLookup that places every public-looking address in GB and says what it was asked. */
function fakeGeo() {
  const asked: string[] = [];
  const answer = (address: string): GeoInfo | undefined =>
    address.startsWith('10.') ? undefined : { country: 'GB', eu: false, region: 'ENG' };
  const geo: GeoLookup = {
    lookup: (address) => {
      asked.push(address);
      return answer(address);
    },
    lookupIp: (ip) => {
      asked.push(ip.address);
      return answer(ip.address);
    },
  };
  return { geo, asked };
}

const network = (raw: string): NormalIp => truncateNetwork(normalizeIp(raw)!, 24, 48);

describe('GeoCache', () => {
  it('looks a network up once, then answers from memory with the same frozen object', () => {
    const { geo, asked } = fakeGeo();
    const cache = new GeoCache('region');
    const first = cache.lookup(geo, network('81.2.69.142'));
    const second = cache.lookup(geo, network('81.2.69.7'));
    expect(first).toEqual({ country: 'GB', eu: false, region: 'ENG' });
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(asked).toEqual(['81.2.69.0']);
  });

  it('remembers networks GeoIP does not place, too', () => {
    const { geo, asked } = fakeGeo();
    const cache = new GeoCache('country');
    expect(cache.lookup(geo, network('10.1.2.3'))).toBeUndefined();
    expect(cache.lookup(geo, network('10.1.2.4'))).toBeUndefined();
    expect(asked).toEqual(['10.1.2.0']);
  });

  it('holds at most maxEntries networks, dropping the least recently used', () => {
    const { geo, asked } = fakeGeo();
    const cache = new GeoCache('country', 2);
    for (const raw of ['1.1.1.1', '2.2.2.2', '1.1.1.2', '3.3.3.3', '1.1.1.3', '2.2.2.3']) {
      cache.lookup(geo, network(raw));
      expect(cache.size).toBeLessThanOrEqual(2);
    }
    expect(asked).toEqual(['1.1.1.0', '2.2.2.0', '3.3.3.0', '2.2.2.0']);
    expect(() => new GeoCache('country', 0)).toThrow(RangeError);
  });

  it('is only for lookups of networks at least as wide as /24 and /48', () => {
    expect(GeoCache.cacheable(24, 48)).toBe(true);
    expect(GeoCache.cacheable(16, 32)).toBe(true);
    expect(GeoCache.cacheable(25, 48)).toBe(false);
    expect(GeoCache.cacheable(24, 56)).toBe(false);
    expect(GeoCache.cacheable(32, 128)).toBe(false);
  });

  it('keys by the full address only for a policy that stores it in full and looks it up in full', () => {
    const ip = { mode: 'full', ipv4Prefix: 24, ipv6Prefix: 48 };
    expect(lookupCacheKey({ ip, enrichFromFullAddress: true })).toBe('address');
    expect(lookupCacheKey({ ip, enrichFromFullAddress: false })).toBe('network');
    for (const mode of ['truncate', 'hash', 'none']) {
      expect(lookupCacheKey({ ip: { ...ip, mode }, enrichFromFullAddress: true })).toBeUndefined();
      expect(lookupCacheKey({ ip: { ...ip, mode }, enrichFromFullAddress: false })).toBe('network');
    }
    const fine = { mode: 'truncate', ipv4Prefix: 28, ipv6Prefix: 48 };
    expect(lookupCacheKey({ ip: fine, enrichFromFullAddress: false })).toBeUndefined();
  });

  it('answers as the real database does', async () => {
    const real = await loadGeo();
    const cache = new GeoCache('city');
    for (const raw of ['81.2.69.142', '8.8.8.8', '2a00:1450:4001:82b::200e', '10.0.0.1']) {
      const net = network(raw);
      expect(cache.lookup(real, net)).toEqual(real.lookup(net.address, 'city'));
      expect(cache.lookup(real, net)).toEqual(real.lookupIp(net, 'city'));
    }
  });
});

describe('the processor keys GeoIP answers only by what the record keeps', () => {
  const captured = capturedGet;

  function run(policy: ReturnType<typeof definePolicy>, addresses: string[]) {
    const compiled = compilePolicy(policy);
    const { geo, asked } = fakeGeo();
    const process = createProcessor({
      compiled,
      userAgents: new UserAgentParser(),
      geo: () => geo,
      ipKey: undefined,
      visitorKey: undefined,
    });
    const records = addresses.map((ip) => process(captured(ip, compiled)));
    return { asked, records };
  }

  const ADDRESSES = ['81.2.69.142', '81.2.69.7', '2a00:1450:4001:82b::200e', '2a00:1450:4001::1'];

  it('gdpr: one lookup per /24 or /48, and never a full address', () => {
    const { asked, records } = run(presets.gdpr, [...ADDRESSES, ...ADDRESSES]);
    expect(asked).toEqual(['81.2.69.0', '2a00:1450:4001::']);
    for (const record of records) expect(record.client?.geo?.country).toBe('GB');
  });

  it('a policy that enriches from the full address but stores less is not cached at all', () => {
    const full = definePolicy({
      ...presets.gdpr,
      name: 'full-enrich',
      categories: {
        ...presets.gdpr.categories,
        client: { ...presets.gdpr.categories.client!, enrichFromFullAddress: true },
      },
    });
    const { asked } = run(full, [...ADDRESSES, ...ADDRESSES]);
    expect(asked).toEqual([...ADDRESSES, ...ADDRESSES].map((a) => normalizeIp(a)!.address));
  });

  it('classic, which stores the full address: one lookup per address, none for a network', () => {
    const { asked, records } = run(presets.classic, [...ADDRESSES, ...ADDRESSES]);
    const full = ADDRESSES.map((a) => normalizeIp(a)!.address);
    expect(asked).toEqual(full);
    // Each record still carries the address it stores and the location of that address.
    expect(records.map((r) => r.client?.ip)).toEqual([...full, ...full]);
    for (const record of records) expect(record.client?.geo?.country).toBe('GB');
  });

  it('a finer prefix than /24 or /48 is not cached either', () => {
    const client = presets.gdpr.categories.client!;
    const fine = definePolicy({
      ...presets.gdpr,
      name: 'fine-prefix',
      categories: {
        ...presets.gdpr.categories,
        client: {
          ...client,
          ip: { ...client.ip, ipv4Prefix: 28, dangerouslyAllowFinePrefix: true },
        },
      },
    });
    const { asked } = run(fine, ['81.2.69.142', '81.2.69.142']);
    expect(asked).toEqual(['81.2.69.128', '81.2.69.128']);
  });
});
