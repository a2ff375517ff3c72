import { createRequire } from 'node:module';
import type * as GeoipLite from 'geoip-lite';
import { normalizeIp } from '../minimize/ip.js';
import type { GeoInfo } from '../record.js';

/** How much of a location is kept (P3: at most the city, never coordinates). */
export type GeoPrecision = 'country' | 'region' | 'city';

/** A loaded GeoIP database. */
export interface GeoLookup {
  /**
   * The location of `address` at `precision`:
   * - `country`: `country` (ISO 3166-1 alpha-2) and `eu` (EU member state);
   * - `region`: also `region` (ISO 3166-2 subdivision, e.g. `ENG`, `CA`) and `timezone` (IANA);
   * - `city`: also `city`.
   *
   * Latitude, longitude, metro code and accuracy radius are never returned. Empty values are
   * left out. `address` should be canonical (see `normalizeIp`); it is normalised again here,
   * because geoip-lite misplaces the hex form of IPv4-mapped addresses (`::ffff:808:808`).
   *
   * @returns `undefined` for private, reserved, unknown or unparseable addresses.
   */
  lookup(address: string, precision: GeoPrecision): GeoInfo | undefined;
}

type GeoipModule = Pick<typeof GeoipLite, 'lookup'>;

let loading: Promise<GeoLookup> | undefined;
let loaded = false;

/**
 * Loads geoip-lite's bundled GeoLite2 data (about 150 ms and 140 MB, synchronously, on the first
 * call) and resolves to a lookup. Call it only for policies that use geo; nothing loads the data
 * before. Later calls share the first call's promise. If loading fails the promise rejects, and
 * the next call tries again.
 */
export function loadGeo(): Promise<GeoLookup> {
  loading ??= importGeoip().then(
    (geoip) => {
      loaded = true;
      return { lookup: (address, precision) => lookupIn(geoip, address, precision) };
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/**
 * Loads geoip-lite now, synchronously (the same 150 ms and 140 MB, once per process), for callers
 * that must look up an address on the request's path from the first request on: the choice of a
 * policy by region. Later {@link loadGeo} calls reuse the loaded module.
 *
 * @throws When geoip-lite cannot be loaded.
 */
export function loadGeoSync(): GeoLookup {
  const mod = createRequire(import.meta.url)('geoip-lite') as GeoipModule;
  if (typeof mod?.lookup !== 'function') throw new Error('geoip-lite has no lookup function');
  loaded = true;
  const geo: GeoLookup = { lookup: (address, precision) => lookupIn(mod, address, precision) };
  loading ??= Promise.resolve(geo);
  return geo;
}

/** Whether geoip-lite's data has been loaded in this process (by {@link loadGeo}). */
export function isGeoLoaded(): boolean {
  return loaded;
}

async function importGeoip(): Promise<GeoipModule> {
  const mod: Partial<GeoipModule> & { default?: GeoipModule } = await import('geoip-lite');
  // Node exposes a CommonJS module's exports as `default`; named exports appear only when its
  // lexer can find them, which it cannot for geoip-lite.
  const api = typeof mod.lookup === 'function' ? mod : mod.default;
  if (typeof api?.lookup !== 'function') throw new Error('geoip-lite has no lookup function');
  return api as GeoipModule;
}

function lookupIn(
  geoip: GeoipModule,
  address: string,
  precision: GeoPrecision,
): GeoInfo | undefined {
  const ip = normalizeIp(address);
  if (ip === undefined) return undefined;
  let found: GeoipLite.Lookup | null;
  try {
    found = geoip.lookup(ip.address);
  } catch {
    return undefined;
  }
  if (!found?.country) return undefined;
  const info: GeoInfo = { country: found.country, eu: found.eu === '1' };
  if (precision === 'country') return info;
  if (found.region) info.region = found.region;
  if (found.timezone) info.timezone = found.timezone;
  if (precision === 'city' && found.city) info.city = found.city;
  return info;
}
