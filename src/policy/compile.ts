import { createHash } from 'node:crypto';
import type { Category } from '../record.js';
import type { DefinedPolicy } from './define.js';
import { parseDuration } from './duration.js';

/**
 * Everything the request path and the background stage read from a policy, computed once at
 * startup so that no request parses a duration or builds a set.
 */
export interface CompiledPolicy {
  readonly policy: DefinedPolicy;
  /** `name@version`, stamped on every record. */
  readonly id: string;
  /** How the nonessential category is legitimised: opt-in consent, opt-out, or not collected. */
  readonly mode: 'opt-in' | 'opt-out' | 'none';
  /** Retention per declared category in ms; `Infinity` for 'forever'. Undeclared ones are absent. */
  readonly retentionMs: Readonly<Partial<Record<Category, number>>>;
  readonly visitor: 'cookie' | 'daily-hash' | 'none';
  readonly referrer: 'none' | 'origin' | 'full';
  readonly cookieMaxAgeMs: number;
  readonly choiceMaxAgeMs: number;
  readonly queryAllow: ReadonlySet<string>;
  readonly optionalFields: ReadonlySet<string>;
  readonly geo: 'none' | 'country' | 'region' | 'city';
  readonly honourGpc: boolean;
  readonly honourDnt: boolean;
  /** Reverse-DNS domain wanted (client category declared and `domain: true`). */
  readonly domain: boolean;
  /** Registered company wanted (client category declared and `company: true`). */
  readonly company: boolean;
  /** Requests recognised as bots are not recorded. */
  readonly skipBots: boolean;
  /** Client hints are read at all (the policy parses the User-Agent). */
  readonly readHints: boolean;
  /** The `Accept-CH` value to send, or undefined to ask for nothing beyond what browsers send. */
  readonly acceptCh: string | undefined;
  /** The address kept in a security record. */
  readonly securityIp: 'none' | 'prefix-preserving' | 'full' | 'sealed';
  /** Key period of the hashed and pseudonymised addresses, in ms. */
  readonly keyRotationMs: number;
  /** How long the consent ledger keeps an event, in ms. */
  readonly ledgerRetentionMs: number;
  /**
   * What a consent covers under this policy: one short token per purpose of each category under
   * consent. The consent cookie carries the tokens it was given for; it counts while it carries
   * every current one, so a new version that adds a purpose or a category under consent asks
   * again, and one that adds nothing does not.
   */
  readonly consentScope: readonly string[];
  /** The consent cookie's value: `in`, then the scope's tokens, dot-separated. */
  readonly consentValue: string;
}

/** The categories a consent can cover, in the order their tokens are listed. */
const SCOPE_ORDER = ['client', 'nonessential', 'optional'] as const;

/** One purpose of one category as a token: 36 bits of SHA-256, in base64url. */
function scopeToken(category: string, purpose: string): string {
  return createHash('sha256')
    .update(`${category}\n${purpose.trim().toLowerCase()}`)
    .digest('base64url')
    .slice(0, 6);
}

function consentScopeOf(policy: DefinedPolicy): string[] {
  const tokens = new Set<string>();
  for (const name of SCOPE_ORDER) {
    const category = policy.categories[name];
    if (category?.basis !== 'consent') continue;
    for (const purpose of category.purposes) tokens.add(scopeToken(name, purpose));
  }
  return [...tokens].sort();
}

export function compilePolicy(policy: DefinedPolicy): CompiledPolicy {
  const { categories } = policy;
  const retentionMs: Partial<Record<Category, number>> = {};
  for (const name of ['client', 'essential', 'nonessential', 'optional', 'security'] as const) {
    const category = categories[name];
    if (category) {
      retentionMs[name] =
        category.retention === 'forever' ? Infinity : parseDuration(category.retention)!;
    }
  }
  const nonessential = categories.nonessential;
  const { essential, client } = categories;
  const readHints = essential.userAgent !== 'none';
  const scope = consentScopeOf(policy);
  return Object.freeze({
    policy,
    id: `${policy.name}@${policy.version}`,
    mode: !nonessential ? 'none' : nonessential.basis === 'consent' ? 'opt-in' : 'opt-out',
    retentionMs: Object.freeze(retentionMs),
    visitor: nonessential?.visitor ?? 'none',
    referrer: nonessential?.referrer ?? 'none',
    cookieMaxAgeMs: parseDuration(policy.cookie.maxAge)!,
    choiceMaxAgeMs: parseDuration(policy.choices.maxAge)!,
    queryAllow: new Set(categories.essential.query.allow),
    optionalFields: new Set(categories.optional?.fields ?? []),
    geo: categories.client?.geo ?? 'none',
    honourGpc: policy.signals.gpc,
    honourDnt: policy.signals.dnt,
    domain: client?.domain === true,
    company: client?.company === true,
    skipBots: essential.bots === 'skip',
    readHints,
    // Never ask for more than the policy keeps: browsers send brand, mobile and platform unasked.
    acceptCh:
      readHints && essential.clientHints === 'platform-version'
        ? 'Sec-CH-UA-Platform-Version'
        : undefined,
    securityIp: categories.security?.ip ?? 'none',
    keyRotationMs: parseDuration(client?.ip.keyRotation ?? 'P1D')!,
    ledgerRetentionMs: parseDuration(policy.choices.ledgerRetention)!,
    consentScope: Object.freeze(scope),
    consentValue: ['in', ...scope].join('.'),
  });
}
