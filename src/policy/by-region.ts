import { type DefinedPolicy, definePolicy } from './define.js';
import { parseDuration } from './duration.js';
import { PolicyError, type PolicyIssue } from './errors.js';
import type { PolicyInput } from './schema.js';

/**
 * The countries that share the key `EU`: the 27 EU member states, the other EEA states (Iceland,
 * Liechtenstein, Norway), the United Kingdom and Switzerland, whose data-protection laws follow
 * the GDPR closely enough that one policy serves them all.
 */
// biome-ignore format: one line per group (EU, EEA, others) reads better than a code per line
export const EU_REGION: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV',
  'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
  'IS', 'LI', 'NO',
  'GB', 'CH',
]);

/**
 * Region keys: `EU` (see {@link EU_REGION}), a country (`US`, ISO 3166-1 alpha-2), a country's
 * subdivision (`US-CA`, ISO 3166-2 as GeoIP data names it), `default` (a known location no other
 * key matches) and `unknown` (no location: private or unlisted addresses; by default the most
 * protective of the policies given).
 */
export type RegionKey = 'EU' | 'default' | 'unknown' | (string & {});

/** What {@link policyByRegion} returns; pass it as `privacyLog({ policy })`. */
export interface RegionalPolicy {
  readonly kind: 'by-region';
  /** Each distinct policy once, in the order first given. */
  readonly policies: readonly DefinedPolicy[];
  /** Region key to an index into `policies`. */
  readonly keys: ReadonlyMap<string, number>;
  /** Index of the policy for an unknown location. */
  readonly unknown: number;
  /** Index of the policy for a known location that no key names. */
  readonly fallback: number;
}

/**
 * What {@link policyByRegion} made, known by identity as {@link definePolicy} knows its policies:
 * an object that only looks like one would carry policies that were never validated.
 */
const made = new WeakSet<object>();

const KEY = /^(?:EU|default|unknown|[A-Z]{2}|[A-Z]{2}-[A-Z0-9]{1,3})$/;

/**
 * Policies chosen per request by where the address is: `policyByRegion({ EU: presets.gdpr,
 * 'US-CA': presets.ccpa, default: presets.classic })`. For France, `FR: presets.cnil` is the natural
 * choice: audience measurement within the CNIL's exemption, recorded without consent but with an
 * opt-out, where `EU: presets.gdpr` would ask for consent. The most specific key wins: subdivision,
 * then country, then `EU`, then `default`. An address with no known location (private, reserved or
 * missing from the data) gets `unknown`, which is the most protective policy given unless named.
 * Every record says which policy decided (`policy`). Validated here: a bad key or policy throws
 * {@link PolicyError} naming it.
 */
export function policyByRegion(
  map: Readonly<Partial<Record<RegionKey, PolicyInput | DefinedPolicy>>>,
): RegionalPolicy {
  const issues: PolicyIssue[] = [];
  const policies: DefinedPolicy[] = [];
  const keys = new Map<string, number>();
  const ids = new Map<string, DefinedPolicy>();
  for (const [key, input] of Object.entries(map ?? {})) {
    if (input === undefined) continue;
    if (!KEY.test(key)) {
      issues.push({
        key: `policyByRegion.${key}`,
        value: key,
        message:
          "is not a region key: use 'EU', a country code such as 'US', a subdivision such as 'US-CA', 'default' or 'unknown'",
      });
      continue;
    }
    let policy: DefinedPolicy;
    try {
      policy = definePolicy(input, `policyByRegion.${key}`);
    } catch (err) {
      if (err instanceof PolicyError) issues.push(...err.issues);
      else throw err;
      continue;
    }
    const id = `${policy.name}@${policy.version}`;
    const same = ids.get(id);
    if (same !== undefined && same !== policy && JSON.stringify(same) !== JSON.stringify(policy)) {
      issues.push({
        key: `policyByRegion.${key}`,
        value: id,
        message: `names ${id}, as another, different policy does: records name the policy that decided, so give each a distinct name or version`,
      });
      continue;
    }
    const existing = same ?? policy;
    ids.set(id, existing);
    let index = policies.indexOf(existing);
    if (index === -1) index = policies.push(existing) - 1;
    keys.set(key, index);
  }
  if (policies.length === 0 && issues.length === 0) {
    issues.push({ key: 'policyByRegion', message: 'needs at least one policy, e.g. default' });
  }
  if (issues.length > 0) throw new PolicyError(issues);
  const unknown = keys.get('unknown') ?? mostProtective(policies);
  const regional: RegionalPolicy = Object.freeze({
    kind: 'by-region',
    policies: Object.freeze(policies),
    keys,
    unknown,
    fallback: keys.get('default') ?? unknown,
  });
  made.add(regional);
  return regional;
}

/** True for what {@link policyByRegion} returns (the object itself, not a look-alike). */
export function isRegionalPolicy(value: unknown): value is RegionalPolicy {
  return typeof value === 'object' && value !== null && made.has(value);
}

/**
 * The index of the policy for a location: subdivision, country, `EU`, then `default`; `unknown`
 * without a country.
 */
export function regionIndex(
  regional: RegionalPolicy,
  country: string | undefined,
  region: string | undefined,
): number {
  if (!country) return regional.unknown;
  const { keys } = regional;
  if (region) {
    const found = keys.get(`${country}-${region}`);
    if (found !== undefined) return found;
  }
  return (
    keys.get(country) ?? (EU_REGION.has(country) ? keys.get('EU') : undefined) ?? regional.fallback
  );
}

const RANK_IP = { none: 0, hash: 1, truncate: 2, full: 3 } as const;
const RANK_GEO = { none: 0, country: 1, region: 2, city: 3 } as const;
const RANK_MODE = { none: 0, 'opt-in': 1, 'opt-out': 2 } as const;
const RANK_REFERRER = { none: 0, origin: 1, full: 2 } as const;

/**
 * How much a policy collects, as a list compared left to right (lower is more protective):
 * nonessential basis (none, opt-in, opt-out), address (none, hash, truncate, full), lookups
 * (geo precision, domain, company), referrer, raw User-Agent, optional fields, retention.
 */
export function exposure(policy: DefinedPolicy): number[] {
  const { client, essential, nonessential, optional } = policy.categories;
  const mode = !nonessential ? 'none' : nonessential.basis === 'consent' ? 'opt-in' : 'opt-out';
  const retention = Object.values(policy.categories).reduce(
    (sum, c) =>
      sum + (!c ? 0 : c.retention === 'forever' ? Infinity : (parseDuration(c.retention) ?? 0)),
    0,
  );
  return [
    RANK_MODE[mode],
    client ? RANK_IP[client.ip.mode] + 1 : 0,
    client ? RANK_GEO[client.geo] + (client.domain ? 1 : 0) + (client.company ? 1 : 0) : 0,
    RANK_REFERRER[nonessential?.referrer ?? 'none'],
    essential.userAgent === 'raw' ? 1 : 0,
    optional?.fields.length ?? 0,
    retention,
  ];
}

/** Index of the most protective policy (the first of equals). */
export function mostProtective(policies: readonly DefinedPolicy[]): number {
  let best = 0;
  for (let i = 1; i < policies.length; i++) {
    const a = exposure(policies[i]!);
    const b = exposure(policies[best]!);
    const diff = a.findIndex((v, k) => v !== b[k]);
    if (diff !== -1 && a[diff]! < b[diff]!) best = i;
  }
  return best;
}
