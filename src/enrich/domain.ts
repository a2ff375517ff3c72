import { Resolver } from 'node:dns/promises';
import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';
import type * as Tldts from 'tldts';
import { cleanText } from '../minimize/text.js';

/** A reverse-DNS lookup: the PTR names of an address (as `dns.promises.reverse` gives them). */
export type ReverseLookup = (address: string) => Promise<readonly string[]> | readonly string[];

/** Options of {@link DomainLookup}. */
export interface DomainLookupOptions {
  /** The reverse-DNS lookup. Default: a `node:dns` resolver with one try and `timeoutMs`. */
  reverse?: ReverseLookup | undefined;
  /** A lookup not answered by then gives no domain (and is counted). Default 200 ms. */
  timeoutMs?: number | undefined;
  /** Lookups in flight at once; more are not started (counted `busy`). Default 16. */
  concurrency?: number | undefined;
  /** Addresses remembered, found and not found each. Default 10 000. */
  cacheSize?: number | undefined;
  /** How long a found domain is reused. Default one hour. */
  ttlMs?: number | undefined;
  /** How long "no domain" (or a failure) is reused. Default five minutes. */
  negativeTtlMs?: number | undefined;
}

/** Counters since construction. */
export interface DomainStats {
  /** Lookups started (cache misses that got a slot). */
  lookups: number;
  /** Answers from the caches, found or not. */
  cacheHits: number;
  /** Lookups that gave a registrable domain. */
  found: number;
  /** Lookups that gave none: no PTR record, a local name, or an error. */
  notFound: number;
  /** Records that went without a domain because the lookup missed the deadline. */
  timeouts: number;
  /** Records that went without a lookup because every slot was taken. */
  busy: number;
  /** Lookups in flight now. */
  inFlight: number;
}

const NONE = '';

type PublicSuffixes = Pick<typeof Tldts, 'parse'>;
let tldts: PublicSuffixes | undefined;

/**
 * tldts and its public-suffix list, loaded the first time a domain is wanted: by a
 * {@link DomainLookup} when it is created (so only for policies that record the domain), or by the
 * first {@link registrableDomain} call. Importing this module does not load it (its list is a few
 * hundred kilobytes of code to compile). A CommonJS package, so `require` loads it synchronously.
 */
function publicSuffixes(): PublicSuffixes {
  tldts ??= createRequire(import.meta.url)('tldts') as PublicSuffixes;
  return tldts;
}

/**
 * The registrable domain (public-suffix aware, ICANN section) of a host name:
 * `ec2-1-2-3-4.compute-1.amazonaws.com` gives `amazonaws.com`, `host.example.co.uk` gives
 * `example.co.uk`. Names under no public suffix (`router.lan`, `x.internal`), addresses and
 * malformed names give `undefined`.
 */
export function registrableDomain(hostname: string): string | undefined {
  if (typeof hostname !== 'string' || hostname.length === 0 || hostname.length > 254) return;
  const name = (hostname.endsWith('.') ? hostname.slice(0, -1) : hostname).toLowerCase();
  const parsed = publicSuffixes().parse(name, {
    allowPrivateDomains: false,
    validateHostname: true,
  });
  if (parsed.isIp || parsed.isIcann !== true || !parsed.domain) return undefined;
  return cleanText(parsed.domain, 253);
}

/**
 * Reverse DNS for the access log: the registrable domain of an address's PTR name, never on the
 * request's path. Bounded: at most `concurrency` lookups in flight, each awaited at most
 * `timeoutMs`, answers (found and not found) cached with their own TTL and size cap, and lookups
 * for the same address shared. A lookup that misses the deadline still fills the cache when it
 * answers, so the next request from that network gets it.
 *
 * PTR names are chosen by whoever runs the network: a record's domain says what the network claims,
 * not a verified identity.
 */
export class DomainLookup {
  readonly #reverse: ReverseLookup;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  readonly #found: LRUCache<string, string>;
  readonly #missing: LRUCache<string, string>;
  readonly #inFlight = new Map<string, Promise<string | undefined>>();
  readonly #stats = { lookups: 0, cacheHits: 0, found: 0, notFound: 0, timeouts: 0, busy: 0 };

  /** @throws {RangeError} When a number is out of range. */
  constructor(options: DomainLookupOptions = {}) {
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 200);
    this.#concurrency = positive('concurrency', options.concurrency ?? 16);
    const max = positive('cacheSize', options.cacheSize ?? 10_000);
    this.#found = new LRUCache({ max, ttl: positive('ttlMs', options.ttlMs ?? 3_600_000) });
    this.#missing = new LRUCache({
      max,
      ttl: positive('negativeTtlMs', options.negativeTtlMs ?? 300_000),
    });
    this.#reverse = options.reverse ?? defaultReverse(this.#timeoutMs);
    // At startup rather than at the first answer, which would stall the event loop mid-traffic.
    publicSuffixes();
  }

  /**
   * The domain of `address`: at once from the cache, else a promise that settles by the deadline
   * (with `undefined` when the lookup is slower, fails or finds nothing). Never rejects.
   */
  lookup(address: string): string | undefined | Promise<string | undefined> {
    const found = this.#found.get(address);
    if (found !== undefined) {
      this.#stats.cacheHits++;
      return found;
    }
    if (this.#missing.has(address)) {
      this.#stats.cacheHits++;
      return undefined;
    }
    let running = this.#inFlight.get(address);
    if (running === undefined) {
      if (this.#inFlight.size >= this.#concurrency) {
        this.#stats.busy++;
        return undefined;
      }
      running = this.#start(address);
    }
    return this.#withDeadline(running);
  }

  /** Counters since construction. */
  stats(): DomainStats {
    return { ...this.#stats, inFlight: this.#inFlight.size };
  }

  #start(address: string): Promise<string | undefined> {
    this.#stats.lookups++;
    // The slot is held until the resolver answers, so a slow resolver cannot pile up lookups;
    // one that never answers is given up after ten deadlines.
    const running = (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const names = await Promise.race([
          this.#reverse(address),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('abandoned')), this.#timeoutMs * 10);
            timer.unref();
          }),
        ]);
        for (const name of Array.isArray(names) ? names : []) {
          const domain = registrableDomain(name);
          if (domain !== undefined) return domain;
        }
      } catch {
        // NXDOMAIN, SERVFAIL, a refused query: no domain, remembered as such.
      } finally {
        clearTimeout(timer);
      }
      return undefined;
    })().then((domain) => {
      this.#inFlight.delete(address);
      if (domain === undefined) {
        this.#stats.notFound++;
        this.#missing.set(address, NONE);
      } else {
        this.#stats.found++;
        this.#found.set(address, domain);
      }
      return domain;
    });
    this.#inFlight.set(address, running);
    return running;
  }

  #withDeadline(running: Promise<string | undefined>): Promise<string | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#stats.timeouts++;
        resolve(undefined);
      }, this.#timeoutMs);
      timer.unref();
      running.then((domain) => {
        clearTimeout(timer);
        resolve(domain);
      });
    });
  }
}

function defaultReverse(timeoutMs: number): ReverseLookup {
  // One try, bounded by the deadline: an unanswered query frees its slot soon after.
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  return (address) => resolver.reverse(address);
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number, 1 or more: ${value}`);
  }
  return value;
}
