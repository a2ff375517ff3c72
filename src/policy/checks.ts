import { DAY_MS, describeDuration, parseDuration } from './duration.js';
import type { PolicyIssue } from './errors.js';
import { checkCnilExemption } from './exemption.js';
import type { Policy } from './schema.js';

/** RFC 6265bis: user agents cap a cookie's lifetime at 400 days. */
export const COOKIE_CAP_DAYS = 400;
/** CNIL: an audience-measurement cookie lives at most 13 months (395 days). */
export const COOKIE_ADVISED_DAYS = 395;
/** The cap in milliseconds, compared exactly: 400 days and one second is over it. */
const COOKIE_CAP_MS = COOKIE_CAP_DAYS * DAY_MS;
/** A hashing key is destroyed within 48 hours, so a rotation period may not be longer. */
const MAX_KEY_ROTATION_MS = 2 * DAY_MS;

const UNKEYED = /^(sha|md|blake|xxh|murmur|crc|fnv)/i;

const retentionMs = (r: string): number => (r === 'forever' ? Infinity : parseDuration(r)!);

/**
 * The names a cookie is sent under, as a browser and the usual servers compare them: with and
 * without the prefix added on secure requests, regardless of case.
 */
const cookieNames = (name: string): string[] =>
  [name, `__Host-${name}`, `__Secure-${name}`].map((n) => n.toLowerCase());

/** Rules that span keys or that zod's shape cannot say; each issue names the key and the fix. */
export function checkPolicy(policy: Policy, prefix: string): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const at = (key: string) => `${prefix}.${key}`;

  for (const key of ['cookie.maxAge', 'choices.maxAge'] as const) {
    const value = key === 'cookie.maxAge' ? policy.cookie.maxAge : policy.choices.maxAge;
    const ms = parseDuration(value)!;
    if (ms > COOKIE_CAP_MS) {
      issues.push({
        key: at(key),
        value,
        message: `${JSON.stringify(value)} is ${describeDuration(ms)}, more than ${COOKIE_CAP_DAYS} days (${COOKIE_CAP_MS / 1000} seconds); browsers cap cookies at ${COOKIE_CAP_DAYS} days (RFC 6265bis) and CNIL advises at most 13 months: use 'P13M' or less`,
      });
    } else if (ms < 1000) {
      // Max-Age counts whole seconds: the browser would delete the cookie as soon as it is set.
      issues.push({
        key: at(key),
        value,
        message: `${JSON.stringify(value)} makes the cookie expire at once, so it would never be remembered (an opt-out would not last); use 'P13M' or another duration of at least a second`,
      });
    }
  }

  const visitorNames = new Set(cookieNames(policy.cookie.name));
  if (cookieNames(policy.choices.cookieName).some((name) => visitorNames.has(name))) {
    issues.push({
      key: at('choices.cookieName'),
      value: policy.choices.cookieName,
      message: `${JSON.stringify(policy.choices.cookieName)} is the same cookie as cookie.name (${JSON.stringify(policy.cookie.name)}): names are compared without case and both get the __Host- prefix on secure requests, and an opt-out would expire the only cookie so tracking would resume; give the two cookies different names`,
    });
  }

  const client = policy.categories.client;
  if (client) {
    const { ip } = client;
    if (ip.algorithm !== 'hmac-sha256') {
      issues.push({
        key: at('categories.client.ip.algorithm'),
        value: ip.algorithm,
        allowed: ['hmac-sha256'],
        message: UNKEYED.test(ip.algorithm)
          ? `${JSON.stringify(ip.algorithm)} is an unkeyed hash, which is reversed by hashing every possible address; use 'hmac-sha256' (keyed, with a rotating random key)`
          : `${JSON.stringify(ip.algorithm)} is not supported; use 'hmac-sha256'`,
      });
    }
    const rotation = parseDuration(ip.keyRotation)!;
    if (rotation > MAX_KEY_ROTATION_MS || rotation < 60_000) {
      issues.push({
        key: at('categories.client.ip.keyRotation'),
        value: ip.keyRotation,
        message: `${JSON.stringify(ip.keyRotation)}: a hashing key must be replaced and destroyed within 48 hours and live at least a minute; use 'P1D' (the default) or anything from 'PT1M' to 'P2D'`,
      });
    }
    if (!ip.dangerouslyAllowFinePrefix) {
      if (ip.ipv4Prefix > 24)
        issues.push({
          key: at('categories.client.ip.ipv4Prefix'),
          value: ip.ipv4Prefix,
          message: `/${ip.ipv4Prefix} keeps more than /24 and can single out a household; use 24 or less, or set dangerouslyAllowFinePrefix: true`,
        });
      if (ip.ipv6Prefix > 48)
        issues.push({
          key: at('categories.client.ip.ipv6Prefix'),
          value: ip.ipv6Prefix,
          message: `/${ip.ipv6Prefix} keeps more than /48 and can single out a household; use 48 or less, or set dangerouslyAllowFinePrefix: true`,
        });
    }
  }

  // A basis that depends on the visitor must be one the category can live with.
  if (policy.categories.essential.basis === 'consent') {
    issues.push({
      key: at('categories.essential.basis'),
      value: 'consent',
      message:
        "essential data cannot depend on consent: without consent a request would have no record at all, and the page still has to be delivered and secured; use 'legitimate-interests' (or another basis that does not depend on the visitor's choice)",
    });
  }
  if (policy.categories.security?.basis === 'consent') {
    issues.push({
      key: at('categories.security.basis'),
      value: 'consent',
      message:
        "security records cannot depend on consent: an attacker would simply not consent, and no attack could be investigated; use 'legitimate-interests' or 'legal-obligation'",
    });
  }

  if (policy.notice.consentExemption === 'cnil-audience-measurement') {
    issues.push(...checkCnilExemption(policy, prefix));
  }

  // The record hangs on its essential category: nothing may outlive it (except security evidence,
  // which extends the whole record).
  const essential = policy.categories.essential.retention;
  for (const name of ['client', 'nonessential', 'optional'] as const) {
    const category = policy.categories[name];
    if (category && retentionMs(category.retention) > retentionMs(essential)) {
      issues.push({
        key: at(`categories.${name}.retention`),
        value: category.retention,
        message: `${JSON.stringify(category.retention)} outlasts categories.essential.retention (${JSON.stringify(essential)}), but a record is deleted when its essential category expires; shorten it or lengthen essential's`,
      });
    }
  }
  return issues;
}
