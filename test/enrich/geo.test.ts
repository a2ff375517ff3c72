import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GeoLookup, isGeoLoaded, loadGeo } from '../../src/enrich/geo.js';

const require = createRequire(import.meta.url);
const geoipPath = require.resolve('geoip-lite');

describe('loadGeo laziness', () => {
  it('does not load geoip-lite when the module is imported', () => {
    expect(isGeoLoaded()).toBe(false);
    expect(require.cache[geoipPath]).toBeUndefined();
  });

  it('loads it once, on the first call', async () => {
    const first = loadGeo();
    const second = loadGeo();
    expect(second).toBe(first);
    await first;
    expect(isGeoLoaded()).toBe(true);
    expect(require.cache[geoipPath]).toBeDefined();
  });
});

describe('GeoLookup', () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    geo = await loadGeo();
  });

  it('finds the country of a public address', () => {
    expect(geo.lookup('8.8.8.8', 'country')).toEqual({ country: 'US', eu: false });
  });

  it('says whether the country is in the EU, as the bundled data has it', () => {
    // GB left the EU; the bundled data marks it so.
    expect(geo.lookup('81.2.69.142', 'country')).toEqual({ country: 'GB', eu: false });
    expect(geo.lookup('193.99.144.80', 'country')).toEqual({ country: 'DE', eu: true });
  });

  it('adds region and time zone, then city, by precision', () => {
    expect(geo.lookup('81.2.69.142', 'region')).toEqual({
      country: 'GB',
      eu: false,
      region: 'ENG',
      timezone: 'Europe/London',
    });
    expect(geo.lookup('81.2.69.142', 'city')).toEqual({
      country: 'GB',
      eu: false,
      region: 'ENG',
      timezone: 'Europe/London',
      city: 'St Albans',
    });
  });

  it('leaves out empty values', () => {
    // The bundled data has no region or city for 8.8.8.8.
    expect(geo.lookup('8.8.8.8', 'city')).toEqual({
      country: 'US',
      eu: false,
      timezone: 'America/Chicago',
    });
  });

  it('never returns coordinates, metro code or accuracy radius', () => {
    for (const precision of ['country', 'region', 'city'] as const) {
      for (const address of ['8.8.8.8', '81.2.69.142', '2a00:1450:4001:82b::200e']) {
        const info = geo.lookup(address, precision) ?? {};
        for (const key of Object.keys(info)) {
          expect(['country', 'eu', 'region', 'timezone', 'city']).toContain(key);
        }
      }
    }
  });

  it('looks up IPv6 and truncated addresses', () => {
    expect(geo.lookup('2a00:1450:4001:82b::200e', 'country')).toEqual({ country: 'DE', eu: true });
    expect(geo.lookup('2a00:1450:4001::', 'country')?.country).toBe('DE');
    expect(geo.lookup('81.2.69.0', 'country')?.country).toBe('GB');
  });

  it('normalises IPv4-mapped addresses that geoip-lite would misplace', () => {
    expect(geo.lookup('::ffff:808:808', 'country')).toEqual({ country: 'US', eu: false });
    expect(geo.lookup('::ffff:81.2.69.142', 'region')?.region).toBe('ENG');
    expect(geo.lookup('::ffff:c163:9050', 'country')).toEqual({ country: 'DE', eu: true });
  });

  it('returns undefined for private, loopback and unparseable addresses', () => {
    for (const address of ['10.0.0.1', '192.168.1.1', '127.0.0.1', '::1', 'fe80::1', '', 'nope']) {
      expect(geo.lookup(address, 'city')).toBeUndefined();
    }
  });
});
