import type { CategoryName } from '../types/policy.js';
import { type DefinedPolicy, definePolicy } from './define.js';

/**
 * A preset, validated on first use: validating loads zod, which importing the package should not.
 * Each is validated once and then shared, frozen.
 */
function once(define: () => DefinedPolicy): () => DefinedPolicy {
  let policy: DefinedPolicy | undefined;
  return () => {
    policy ??= define();
    return policy;
  };
}

const delivery = 'Route the requested page to your computer and keep the site running';
const improvement = 'Plan web site improvements from aggregate traffic patterns';
const security = 'Investigate attempts to breach computer security';
const contact = 'Answer your request and contact you about it';

/**
 * The seed policy (a real website privacy policy of 2012), made executable: every statement of its
 * "Visitor data collected" section maps to a setting here (see docs/seed-mapping.md). It keeps the
 * full address indefinitely, as the seed says it may, and so raises WRN_FULL_IP,
 * WRN_RETENTION_FOREVER and WRN_ENRICH_FULL_ADDRESS; it honours GPC and DNT as an objection, which the seed predates. Its
 * registered-company lookup needs the optional package `@ip-location-db/asn`.
 */
const classic = once(() =>
  definePolicy({
    name: 'classic',
    version: '1',
    categories: {
      client: {
        description: 'Internet domain, registered company, GeoIP information and Internet address',
        purposes: [delivery, security],
        basis: 'legitimate-interests',
        retention: 'forever',
        ip: { mode: 'full' },
        geo: 'city',
        domain: true,
        company: true,
        // The address is stored in full anyway; lookups from a truncated one would only be wrong.
        enrichFromFullAddress: true,
      },
      essential: {
        description: 'The page or service requested, browser and operating system, date and time',
        purposes: [delivery, 'Respond in an appropriate format', improvement],
        basis: 'legitimate-interests',
        retention: 'forever',
        userAgent: 'parsed',
      },
      nonessential: {
        description: 'The site you linked from, and the analytics cookie',
        purposes: [improvement, 'Analyse traffic patterns'],
        basis: 'legitimate-interests',
        retention: 'forever',
        referrer: 'full',
        visitor: 'cookie',
      },
      optional: {
        description: 'What you choose to send: your name, e-mail address, message and form answers',
        purposes: [contact, improvement],
        // The seed keeps what a visitor chooses to send; an objection still removes it.
        basis: 'legitimate-interests',
        retention: 'forever',
        fields: ['name', 'email', 'message', 'form'],
      },
      security: {
        description: 'Access records kept when an attack is detected, for investigation',
        purposes: [security, 'Forward to law enforcement agencies when needed'],
        basis: 'legitimate-interests',
        retention: 'forever',
        ip: 'full',
      },
    },
    cookie: { maxAge: 'P13M' },
    signals: { gpc: true, dnt: true },
  }),
);

/** GDPR and ePrivacy: opt-in consent, truncated IP, country and region only, 13-month cookie. */
const gdpr = once(() =>
  definePolicy({
    name: 'gdpr',
    version: '1',
    categories: {
      client: {
        description: 'Truncated Internet address and the country and region it belongs to',
        purposes: [delivery, security],
        basis: 'legitimate-interests',
        retention: 'P6M',
        ip: { mode: 'truncate', ipv4Prefix: 24, ipv6Prefix: 48 },
        geo: 'region',
      },
      essential: {
        description: 'The page requested, browser and operating system family, date and time',
        purposes: [delivery, improvement],
        basis: 'legitimate-interests',
        retention: 'P13M',
        userAgent: 'parsed',
      },
      nonessential: {
        description: 'The origin of the site you came from, and a random visitor id in a cookie',
        purposes: [improvement],
        basis: 'consent',
        retention: 'P13M',
        referrer: 'origin',
        visitor: 'cookie',
      },
      optional: {
        description: 'The name and e-mail address you send us in a form',
        purposes: [contact],
        basis: 'consent',
        retention: 'P6M',
        fields: ['name', 'email'],
      },
      security: {
        description: 'Access records kept when an attack is detected',
        purposes: [security],
        basis: 'legitimate-interests',
        retention: 'P1Y',
        ip: 'prefix-preserving',
      },
    },
    cookie: { maxAge: 'P13M' },
    // Withdrawing consent removes what was recorded under it, at once.
    choices: { onWithdraw: 'erase' },
    signals: { gpc: true, dnt: true },
  }),
);

/** CCPA/CPRA: opt-out; GPC is an opt-out of sale and sharing. */
const ccpa = once(() =>
  definePolicy({
    name: 'ccpa',
    version: '1',
    categories: {
      client: { ...gdpr().categories.client!, retention: 'P1Y' },
      essential: { ...gdpr().categories.essential, retention: 'P2Y' },
      nonessential: {
        ...gdpr().categories.nonessential!,
        basis: 'legitimate-interests',
        retention: 'P13M',
      },
      // The CCPA asks for notice at collection and an opt-out, not prior consent.
      optional: { ...gdpr().categories.optional!, basis: 'legitimate-interests', retention: 'P1Y' },
      security: gdpr().categories.security!,
    },
    cookie: { maxAge: 'P13M' },
    signals: { gpc: true, dnt: true },
    notice: { ccpa: true },
  }),
);

/**
 * France: audience measurement the CNIL exempts from consent, configured as Matomo documents for
 * its own exemption: IPv4 kept to /16 and IPv6 to /32, country only, a first-party cookie of at
 * most 13 months that later visits never extend, data kept 25 months at most, the referrer as its
 * origin, no optional data tied to the visitor id, no use beyond this site, and an opt-out.
 * `definePolicy` checks each condition because the notice claims the exemption.
 */
const cnil = once(() =>
  definePolicy({
    name: 'cnil',
    version: '1',
    categories: {
      client: {
        description: 'Internet address shortened to its first two bytes, and its country',
        purposes: [delivery, improvement],
        basis: 'legitimate-interests',
        retention: 'P25M',
        ip: { mode: 'truncate', ipv4Prefix: 16, ipv6Prefix: 32 },
        geo: 'country',
      },
      essential: { ...gdpr().categories.essential, retention: 'P25M' },
      nonessential: {
        description: 'The origin of the site you came from, and a random visitor id in a cookie',
        purposes: ['Measure the audience of this site, for this site only'],
        basis: 'legitimate-interests',
        retention: 'P25M',
        referrer: 'origin',
        visitor: 'cookie',
      },
    },
    cookie: { maxAge: 'P13M' },
    signals: { gpc: true, dnt: true },
    notice: { consentExemption: 'cnil-audience-measurement' },
  }),
);

/** No cookie at all: a visitor is counted by a keyed hash whose key is replaced and destroyed daily. */
const cookieless = once(() =>
  definePolicy({
    name: 'cookieless',
    version: '1',
    categories: {
      client: {
        description: 'Truncated Internet address and its country',
        purposes: [delivery, security],
        basis: 'legitimate-interests',
        retention: 'P30D',
        ip: { mode: 'truncate' },
        geo: 'country',
      },
      essential: { ...gdpr().categories.essential, retention: 'P13M' },
      nonessential: {
        description: 'The origin of the site you came from, and a visitor count that resets daily',
        purposes: [improvement],
        basis: 'legitimate-interests',
        retention: 'P13M',
        referrer: 'origin',
        visitor: 'daily-hash',
      },
    },
    signals: { gpc: true, dnt: true },
  }),
);

/** Essential technical information only: no address, no cookie, no referrer, no optional data. */
const strict = once(() =>
  definePolicy({
    name: 'strict',
    version: '1',
    categories: {
      essential: {
        description: 'The page requested, browser and operating system family, date and time',
        purposes: [delivery],
        basis: 'legitimate-interests',
        retention: 'P30D',
        userAgent: 'parsed',
      },
    },
  }),
);

/** Every category: a preset of this type declares all five. */
type AllCategories = CategoryName;
/** The categories of a preset without optional or security data. */
type Analytics = 'client' | 'essential' | 'nonessential';

/**
 * The built-in policies, frozen. Each type names the categories the preset declares, so they spread
 * without `undefined`: extend one with `definePolicy({ ...presets.gdpr, ... })`.
 */
export interface Presets {
  /** The seed policy made executable: full addresses, kept forever (warns at startup). */
  readonly classic: DefinedPolicy<AllCategories>;
  /** GDPR and ePrivacy: opt-in consent, truncated IP, country and region, 13-month cookie. */
  readonly gdpr: DefinedPolicy<AllCategories>;
  /** CCPA/CPRA: opt-out; GPC is an opt-out of sale and sharing. */
  readonly ccpa: DefinedPolicy<AllCategories>;
  /** France: audience measurement the CNIL exempts from consent. */
  readonly cnil: DefinedPolicy<Analytics>;
  /** No cookie: a visitor is counted by a keyed hash whose key is destroyed daily. */
  readonly cookieless: DefinedPolicy<Analytics>;
  /** Essential technical information only. */
  readonly strict: DefinedPolicy;
}

/**
 * Narrows a defined policy to the categories it declares, checking when it is first read that it
 * does: a preset edited to drop a category fails here, not in a user's spread.
 */
function declaring<C extends CategoryName>(
  policy: DefinedPolicy,
  names: readonly C[],
): DefinedPolicy<C> {
  for (const name of names) {
    if (policy.categories[name] === undefined) {
      throw new Error(`preset ${policy.name} does not declare categories.${name}`);
    }
  }
  return policy as DefinedPolicy<C>;
}

const all: readonly AllCategories[] = [
  'client',
  'essential',
  'nonessential',
  'optional',
  'security',
];
const analytics: readonly Analytics[] = ['client', 'essential', 'nonessential'];

type PresetName = keyof Presets;

const definitions: Readonly<Record<PresetName, () => DefinedPolicy>> = {
  classic: () => declaring(classic(), all),
  gdpr: () => declaring(gdpr(), all),
  ccpa: () => declaring(ccpa(), all),
  cnil: () => declaring(cnil(), analytics),
  cookieless: () => declaring(cookieless(), analytics),
  strict,
};

/**
 * The built-in policies, frozen. Each is a getter that validates its policy on first read, so
 * importing the package validates nothing.
 */
export const presets: Presets = Object.freeze(
  Object.defineProperties(
    {},
    Object.fromEntries(
      Object.entries(definitions).map(([name, define]) => [
        name,
        { enumerable: true, get: define },
      ]),
    ),
  ) as Presets,
);
