import type { GeoLookup } from '../enrich/geo.js';
import { GrowingLru } from '../growing-lru.js';
import { normalizeIp, truncateNetwork } from '../minimize/ip.js';
import { type RegionalPolicy, regionIndex } from '../policy/by-region.js';

/**
 * Chooses, on the request's path, which of a regional policy's policies governs a request. The
 * location is looked up from the address truncated to /24 or /48 (GeoIP data is no finer
 * anyway), and the answer is cached per raw address string, so a returning client costs one
 * cache read (well under a microsecond) and a new one a GeoIP search (a few microseconds).
 * The cache lives in memory only.
 */
export class RegionSelector {
  readonly #regional: RegionalPolicy;
  readonly #geo: GeoLookup;
  readonly #cache: GrowingLru<string, number>;

  constructor(regional: RegionalPolicy, geo: GeoLookup, cacheSize = 10_000) {
    this.#regional = regional;
    this.#geo = geo;
    this.#cache = new GrowingLru(Math.max(1, cacheSize));
  }

  /** The index into `regional.policies` for a request from `address` (`req.ip`). Never throws. */
  select(address: string | undefined): number {
    if (typeof address !== 'string') return this.#regional.unknown;
    const cached = this.#cache.get(address);
    if (cached !== undefined) return cached;
    const index = this.#locate(address);
    this.#cache.set(address, index);
    return index;
  }

  #locate(address: string): number {
    const ip = normalizeIp(address);
    if (ip === undefined) return this.#regional.unknown;
    let where: { country?: string; region?: string } | undefined;
    try {
      where = this.#geo.lookupIp(truncateNetwork(ip, 24, 48), 'region');
    } catch {
      where = undefined;
    }
    return regionIndex(this.#regional, where?.country, where?.region);
  }
}
