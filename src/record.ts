/** The schema version of {@link AccessRecord}; bumped only with a migration path for stores. */
export const RECORD_VERSION = 1 as const;

/** The data categories of the policy, in the order a record loses them to retention. */
export const CATEGORIES = ['client', 'nonessential', 'optional', 'security', 'essential'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * What let the visitor-dependent categories in: `consent` when consent admitted one, `opt-out` when
 * nonessential data is kept on legitimate interests, `none` when neither.
 */
export type ConsentBasis = 'consent' | 'opt-out' | 'none';

export interface ClientInfo {
  /** The address as the policy allows it: full, truncated (`1.2.3.0`), or a keyed hash. */
  ip?: string;
  /** Registrable domain of the reverse-DNS name. */
  domain?: string;
  /** Registered company (network owner). */
  company?: string;
  geo?: GeoInfo;
}

export interface GeoInfo {
  country?: string;
  region?: string;
  city?: string;
  timezone?: string;
  eu?: boolean;
}

export interface EssentialInfo {
  method: string;
  /** Path without the query string, except allow-listed parameters. */
  path: string;
  /** The route template that matched (`/products/:id`), when Express knows one. */
  route?: string;
  status: number;
  durationMs: number;
  bytes?: number;
  /** True when the client went away before the response was complete. */
  aborted?: boolean;
  host?: string;
  browser?: { name?: string; major?: string };
  os?: { name?: string; version?: string };
  /** Device class: desktop, mobile, tablet, smarttv, console, wearable, embedded. */
  device?: string;
  bot?: boolean;
  /** The raw User-Agent string, only when the policy asks for `userAgent: 'raw'`. */
  userAgent?: string;
}

export interface NonessentialInfo {
  referrer?: string;
  /** Pseudonymous visitor id: the analytics cookie's id, or a daily-rotating keyed hash. */
  visitorId?: string;
}

export interface SecurityInfo {
  reasons: string[];
  hold: boolean;
  /**
   * The address as `categories.security.ip` allows: a keyed prefix-preserving pseudonym (shaped
   * like an address, but no one's to contact or block) or the full address.
   */
  ip?: string;
  // Security investigations: the evidence a flagged request keeps, and nothing else does.
  /** The full request target, path and query, as the client sent it. */
  target?: string;
  /** The raw User-Agent. */
  userAgent?: string;
  /** Allow-listed request headers (never `Cookie` or `Authorization`). */
  headers?: Record<string, string>;
  /** `1.1`, `2.0`. */
  httpVersion?: string;
  /** The client's source port (RFC 6302), when the client connected directly. */
  port?: number;
  /** The full address sealed to the investigator's key (`security.ip: 'sealed'`); no one else can read it. */
  sealedIp?: string;
  // Tamper evidence: the record's place in its hash chain.
  /** The chain (one per logger instance). */
  chain?: string;
  /** Position in the chain, from 0. */
  seq?: number;
  /** The `hash` of the chain's previous record. */
  prev?: string;
  /** SHA-256 (base64url) of the canonical record, `prev` included, `hash` left out. */
  hash?: string;
  /** An Ed25519 signature over the chain, `seq` as the count before it, `prev` as head, and `time`. */
  checkpoint?: { count: number; time: string; sig: string };
}

/** One access record, version 1. A category the policy or the visitor excludes is absent, not empty. */
export interface AccessRecord {
  v: typeof RECORD_VERSION;
  /** Time-ordered unique id (UUIDv7). Stores are idempotent by it. */
  id: string;
  /** ISO 8601 UTC time of the request's start. */
  time: string;
  /** `name@version` of the policy that decided what this record holds. */
  policy: string;
  consent: { analytics: boolean; basis: ConsentBasis; gpc: boolean; dnt: boolean };
  client?: ClientInfo;
  essential: EssentialInfo;
  nonessential?: NonessentialInfo;
  optional?: Record<string, string>;
  security?: SecurityInfo;
  /** ISO 8601 UTC time at which each present category expires; absent means kept until erased. */
  expires: Partial<Record<Category, string>>;
}
