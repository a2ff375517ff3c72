import { DAY_MS, parseDuration } from './duration.js';
import type { PolicyIssue } from './errors.js';
import type { Policy } from './schema.js';

/** CNIL: audience-measurement data is kept at most 25 months (here, as months of 30 days). */
export const CNIL_MAX_RETENTION = 'P25M';
/** CNIL: the audience-measurement cookie lives at most 13 months and is never extended. */
export const CNIL_MAX_COOKIE = 'P13M';

/**
 * The conditions under which the CNIL exempts audience measurement from consent (its 2020
 * guidelines on trackers, as Matomo documents them for its own exemption), checked on a policy
 * that claims the exemption. Each issue names the key and the condition it breaks; an empty list
 * means the claim the notice makes is true of the configuration.
 */
export function checkCnilExemption(policy: Policy, prefix: string): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const at = (key: string) => `${prefix}.${key}`;
  const claim = 'claims the CNIL audience-measurement exemption (notice.consentExemption), which';
  const { client, nonessential, optional } = policy.categories;
  if (client) {
    const { ip } = client;
    if (ip.mode === 'full' || (ip.mode === 'truncate' && ip.ipv4Prefix > 16)) {
      issues.push({
        key: at('categories.client.ip'),
        value: ip.mode === 'full' ? 'full' : ip.ipv4Prefix,
        message: `${claim} keeps IPv4 addresses to /16 at most (two bytes removed); use ip: { mode: 'truncate', ipv4Prefix: 16, ipv6Prefix: 32 }`,
      });
    }
    if (ip.mode === 'truncate' && ip.ipv6Prefix > 32) {
      issues.push({
        key: at('categories.client.ip.ipv6Prefix'),
        value: ip.ipv6Prefix,
        message: `${claim} keeps IPv6 addresses to /32 at most; use 32 or less`,
      });
    }
    if (client.domain || client.company || client.geo === 'city' || client.geo === 'region') {
      issues.push({
        key: at('categories.client'),
        message: `${claim} allows no lookup finer than the country from the address; set geo to 'country' or 'none', and domain and company to false`,
      });
    }
  }
  if (nonessential?.basis !== 'legitimate-interests') {
    issues.push({
      key: at('categories.nonessential.basis'),
      value: nonessential?.basis,
      message: `${claim} is about audience measurement recorded without consent but with an opt-out: declare categories.nonessential with basis 'legitimate-interests'`,
    });
  }
  if (nonessential && nonessential.referrer === 'full') {
    issues.push({
      key: at('categories.nonessential.referrer'),
      value: 'full',
      message: `${claim} keeps the referrer as its origin at most; use 'origin' or 'none'`,
    });
  }
  if (optional) {
    issues.push({
      key: at('categories.optional'),
      message: `${claim} links no optional data (names, e-mail addresses) to the visitor id; remove categories.optional or drop the exemption`,
    });
  }
  if (parseDuration(policy.cookie.maxAge)! > parseDuration(CNIL_MAX_COOKIE)!) {
    issues.push({
      key: at('cookie.maxAge'),
      value: policy.cookie.maxAge,
      message: `${claim} lets the visitor cookie live 13 months at most; use '${CNIL_MAX_COOKIE}' or less`,
    });
  }
  const limit = parseDuration(CNIL_MAX_RETENTION)!;
  for (const name of ['client', 'essential', 'nonessential'] as const) {
    const category = policy.categories[name];
    if (!category) continue;
    const ms = category.retention === 'forever' ? Infinity : parseDuration(category.retention)!;
    if (ms > limit) {
      issues.push({
        key: at(`categories.${name}.retention`),
        value: category.retention,
        message: `${claim} keeps audience data ${Math.round(limit / DAY_MS)} days (25 months) at most; use '${CNIL_MAX_RETENTION}' or less`,
      });
    }
  }
  return issues;
}
