import { MAX_DURATION_MS, parseDuration } from './duration.js';
import { detectSchema } from './security-detect-schema.js';
import { lazily, type ZodNamespace } from './zod.js';

/** GDPR Art. 6 lawful bases, as short names. */
export const LEGAL_BASES = [
  'consent',
  'contract',
  'legal-obligation',
  'vital-interests',
  'public-task',
  'legitimate-interests',
] as const;

/** One of {@link LEGAL_BASES}. */
export type LegalBasis = (typeof LEGAL_BASES)[number];

const durationHelp = "an ISO 8601 duration such as 'P30D', 'P6M' or 'P13M'";

const tooLong = "is longer than 100 years ('P100Y'), the longest duration a policy may give";

/** Durations that are not one pass here: the first refinement reports them. */
const withinBound = (v: string): boolean => (parseDuration(v) ?? 0) <= MAX_DURATION_MS;

function buildPolicySchema(z: ZodNamespace) {
  /** An ISO 8601 duration, checked here so the request path never parses one. */
  const durationSchema = z
    .string()
    .refine((v) => parseDuration(v) !== undefined, { message: `must be ${durationHelp}` })
    .refine(withinBound, { message: tooLong });

  const retentionSchema = z
    .string({ error: `required: ${durationHelp}, or 'forever'` })
    .refine((v) => v === 'forever' || parseDuration(v) !== undefined, {
      message: `must be ${durationHelp}, or 'forever'`,
    })
    .refine((v) => v === 'forever' || withinBound(v), {
      message: `${tooLong}; write 'forever' to keep it without a limit`,
    });

  const purposesSchema = z
    .array(z.string().trim().min(1), { error: "required: a list of purposes, e.g. ['analytics']" })
    .min(1, { message: "needs at least one purpose, e.g. ['analytics']" });

  /** What every category declares (GDPR Art. 30): why, on which basis, and for how long. */
  const categoryBase = {
    purposes: purposesSchema,
    basis: z.enum(LEGAL_BASES),
    retention: retentionSchema,
    /** Free text for the generated notice. */
    description: z.string().optional(),
  };

  const ipSchema = z.strictObject({
    /** `full` keeps the address; `truncate` keeps a network prefix; `hash` a keyed rotating HMAC. */
    mode: z.enum(['full', 'truncate', 'hash', 'none']).default('truncate'),
    /** Leading bits of an IPv4 address kept by `truncate`. */
    ipv4Prefix: z.number().int().min(0).max(32).default(24),
    /** Leading bits of an IPv6 address kept by `truncate`. */
    ipv6Prefix: z.number().int().min(0).max(128).default(48),
    /** Finer prefixes than /24 and /48 identify households; this name is meant to be loud. */
    dangerouslyAllowFinePrefix: z.boolean().default(false),
    /** Only keyed hashing: an unkeyed hash of an IPv4 address is reversed by trying all 2^32. */
    algorithm: z.string().default('hmac-sha256'),
    /** How often the hashing key is replaced; the old key is destroyed at once. At most P2D. */
    keyRotation: durationSchema.default('P1D'),
  });

  const clientSchema = z.strictObject({
    ...categoryBase,
    ip: ipSchema.prefault({}),
    /** GeoIP precision; never latitude or longitude. */
    geo: z.enum(['none', 'country', 'region', 'city']).default('none'),
    /** Enrich from the full address instead of the truncated one (the full one is never stored). */
    enrichFromFullAddress: z.boolean().default(false),
    /** The registrable domain of the reverse-DNS name, looked up after the response. */
    domain: z.boolean().default(false),
    /** The organisation that announces the address (its AS name), from an ASN database. */
    company: z.boolean().default(false),
  });

  const essentialSchema = z.strictObject({
    ...categoryBase,
    /** `parsed`: browser, OS, device class and bot flag; `raw` also keeps the string. */
    userAgent: z.enum(['none', 'parsed', 'raw']).default('parsed'),
    /** Query parameters that may be kept; every other one is dropped with the query string. */
    query: z.strictObject({ allow: z.array(z.string().min(1)).default([]) }).prefault({}),
    /** Keep the Host header (the site's own name, not the visitor's). */
    host: z.boolean().default(true),
    /**
     * User-Agent client hints: `sent` reads only those browsers send unasked (brand, mobile,
     * platform); `platform-version` also asks for the OS version (`Accept-CH`), one more
     * fingerprinting bit, to tell Windows 11 from 10 and name the real macOS and Android version.
     */
    clientHints: z.enum(['sent', 'platform-version']).default('sent'),
    /** `skip`: requests from crawlers, monitors and HTTP libraries are not recorded at all. */
    bots: z.enum(['record', 'skip']).default('record'),
  });

  const nonessentialSchema = z.strictObject({
    ...categoryBase,
    /** `consent` means opt-in; `legitimate-interests` means opt-out (objection honoured). */
    basis: z.enum(['consent', 'legitimate-interests']),
    /** `origin` keeps `https://host`; `full` adds the path; same-site referrers are never kept. */
    referrer: z.enum(['none', 'origin', 'full']).default('origin'),
    /** `cookie`: a signed random id in the analytics cookie; `daily-hash`: no cookie, a keyed hash. */
    visitor: z.enum(['cookie', 'daily-hash', 'none']).default('cookie'),
  });

  const optionalSchema = z.strictObject({
    ...categoryBase,
    /** The only field names `req.privacyLog.optional()` keeps. */
    fields: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/), {
        error: "required: the field names that may be kept, e.g. ['email', 'name']",
      })
      .min(1),
    /** Longer values are cut to this many characters. */
    maxLength: z.number().int().min(1).max(100_000).default(2000),
  });

  const securitySchema = z.strictObject({
    ...categoryBase,
    /**
     * The address in a security record: `prefix-preserving` is a keyed pseudonym that keeps the
     * network structure (two addresses sharing a /n prefix share a /n pseudonym prefix), with a key
     * that rotates like `categories.client.ip.keyRotation`; `full` keeps the address.
     */
    ip: z.enum(['none', 'prefix-preserving', 'full', 'sealed']).default('none'),
    // Security investigations: the built-in attack detectors, and whether flagged records are held
    // (neither purged nor erased at the visitor's request) until someone releases them.
    detect: detectSchema(),
    hold: z.boolean().default(true),
  });

  const cookieNameSchema = z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { message: 'must be a cookie-name token' })
    .refine((v) => !/^__(host|secure)-/i.test(v), {
      message: 'must not carry a __Host- or __Secure- prefix: one is added on secure requests',
    });

  const policySchema = z.strictObject({
    /** Short name recorded with every record as `name@version`. */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, {
      message: "must be a short name such as 'my-site' (letters, digits, . _ -)",
    }),
    version: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,32}$/)
      .default('1'),
    categories: z.strictObject({
      client: clientSchema.optional(),
      essential: essentialSchema,
      nonessential: nonessentialSchema.optional(),
      optional: optionalSchema.optional(),
      security: securitySchema.optional(),
    }),
    /** The analytics cookie, used when `categories.nonessential.visitor` is `cookie`. */
    cookie: z
      .strictObject({
        name: cookieNameSchema.default('pl_vid'),
        maxAge: durationSchema.default('P13M'),
      })
      .prefault({}),
    /** The cookie that remembers opt-out or consent; it holds the same value for everyone. */
    choices: z
      .strictObject({
        cookieName: cookieNameSchema.default('pl_choice'),
        maxAge: durationSchema.default('P13M'),
        /**
         * What an opt-out does to the records already tied to the visitor id: `erase` removes them
         * at once (GDPR Art. 17(1)(b) after a withdrawal of consent), `keep` leaves them until their
         * retention ends (the visitor can still ask with `erase=1`).
         */
        onWithdraw: z.enum(['erase', 'keep']).default('keep'),
        /**
         * How long the consent ledger keeps each change of choice: long enough to show the consent
         * behind every record collected under it, and a limitation period after.
         */
        ledgerRetention: durationSchema.default('P3Y'),
      })
      .prefault({}),
    /** What the generated notice says beyond the categories: who answers for the log, and why. */
    notice: z
      .strictObject({
        /** The controller: who decides what the log is for (a company or a person, by name). */
        controller: z.string().trim().min(1).max(500).optional(),
        /** How to reach the controller about privacy: an e-mail, web or postal address. */
        contact: z.string().trim().min(1).max(500).optional(),
        /** The data protection officer and how to reach them, where one is designated. */
        dpo: z.string().trim().min(1).max(500).optional(),
        /** Transfers outside the EEA (or the visitor's country) and their safeguards; none if empty. */
        transfers: z.array(z.string().trim().min(1).max(500)).default([]),
        /**
         * `ccpa`: the notice also serves as the CCPA notice at collection (categories, purposes,
         * sale and sharing, retention, the consumer's rights, non-discrimination, how to ask).
         */
        ccpa: z.boolean().default(false),
        /**
         * `cnil-audience-measurement`: nonessential data is audience measurement that the CNIL
         * exempts from consent; `definePolicy` checks each condition, and the notice says why no
         * consent is asked.
         */
        consentExemption: z.enum(['cnil-audience-measurement']).optional(),
      })
      .prefault({}),
    // --- traffic reports: settings of the anonymous rollups ---
    /**
     * Traffic rollups: how long their anonymous buckets are kept (default five years) and the
     * small-cell threshold `k` (default 10) below which reports show a figure only as "fewer than k".
     */
    aggregates: z
      .strictObject({
        retention: durationSchema.default('P5Y'),
        k: z.number().int().min(1).max(1_000_000).default(10),
      })
      .optional(),
    // --- end traffic reports ---
    /** Browser signals treated as an objection (opt-out) to nonessential and optional data. */
    signals: z
      .strictObject({ gpc: z.boolean().default(true), dnt: z.boolean().default(true) })
      .prefault({}),
  });
  return policySchema;
}

/**
 * The policy schema, built on first use: zod loads only when a policy is validated.
 *
 * @internal
 */
export const policySchema = lazily(buildPolicySchema);

// The public types are written out with their documentation in types/; types/schema-check.ts
// proves they match this schema.
export type { Policy } from '../types/policy.js';
export type { PolicyInput } from '../types/policy-input.js';
