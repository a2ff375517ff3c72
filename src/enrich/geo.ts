import { createRequire } from 'node:module';
import type * as GeoipLite from 'geoip-lite';
import { GrowingLru } from '../growing-lru.js';
import { type NormalIp, normalizeIp } from '../minimize/ip.js';
import type { GeoInfo } from '../record.js';

/** How much of a location is kept (at most the city, never coordinates). */
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
  /**
   * {@link lookup} for an address already in canonical form (from `normalizeIp` or
   * `truncateNetwork`): geoip-lite gets it without being parsed again.
   */
  lookupIp(ip: NormalIp, precision: GeoPrecision): GeoInfo | undefined;
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
      return lookupOf(geoip);
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
  const geo = lookupOf(mod);
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

function lookupOf(geoip: GeoipModule): GeoLookup {
  return {
    lookup(address, precision) {
      const ip = normalizeIp(address);
      return ip === undefined ? undefined : lookupIp(geoip, ip, precision);
    },
    lookupIp: (ip, precision) => lookupIp(geoip, ip, precision),
  };
}

function lookupIp(geoip: GeoipModule, ip: NormalIp, precision: GeoPrecision): GeoInfo | undefined {
  let found: GeoipLite.Lookup | null;
  try {
    // geoip-lite takes IPv4 as a number too, which spares it parsing the text once more.
    const b = ip.bytes;
    found = geoip.lookup(
      ip.family === 4 ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : ip.address,
    );
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

/** Networks whose location {@link GeoCache} keeps by default. */
export const GEO_CACHE_SIZE = 10_000;

/** What the cache keeps for a network GeoIP does not place (compared by identity). */
const NOWHERE: GeoInfo = Object.freeze({});

/**
 * Locations already looked up, for one precision. Visitors come back, and a session's requests
 * share their network, so most lookups repeat one from a moment ago; a hit costs a map read where
 * geoip-lite costs a binary search and several string copies.
 *
 * Keys are what the policy's record keeps anyway (`lookupCacheKey` in pipeline/process.ts): network addresses
 * (a /24 or wider, a /48 or wider) for a policy that looks up the truncated address, or the full
 * address for one that stores it in full and looks it up in full, whose records hold that address
 * for as long as its retention says, where this cache holds it at most until 10,000 newer ones
 * push it out. Answers are frozen and shared by the records that carry them. Bounded, least
 * recently used out first, in the memory of the thread that processes records only.
 */
export class GeoCache {
  readonly #precision: GeoPrecision;
  readonly #cache: GrowingLru<string, GeoInfo>;

  constructor(precision: GeoPrecision, maxEntries = GEO_CACHE_SIZE) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a whole number, 1 or more: ${maxEntries}`);
    }
    this.#precision = precision;
    this.#cache = new GrowingLru(maxEntries);
  }

  /**
   * Whether lookups made with these prefixes may be cached: only networks at least as wide as the
   * default /24 and /48 count as minimised (a finer prefix needs `dangerouslyAllowFinePrefix`).
   */
  static cacheable(ipv4Prefix: number, ipv6Prefix: number): boolean {
    return ipv4Prefix <= 24 && ipv6Prefix <= 48;
  }

  /**
   * The location of `ip` (a truncated network, or a full address when `lookupCacheKey`
   * allows it), from the cache or from `geo`.
   */
  lookup(geo: GeoLookup, ip: NormalIp): GeoInfo | undefined {
    const known = this.#cache.get(ip.address);
    if (known !== undefined) return known === NOWHERE ? undefined : known;
    const found = geo.lookupIp(ip, this.#precision);
    this.#cache.set(ip.address, found === undefined ? NOWHERE : Object.freeze(found));
    return found;
  }

  /** Entries held now. */
  get size(): number {
    return this.#cache.size;
  }
}
