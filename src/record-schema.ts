import { z } from 'zod';
import { normalizeIp } from './minimize/ip.js';
import { cleanText } from './minimize/text.js';
import { type AccessRecord, RECORD_VERSION } from './record.js';

/**
 * Text as the processor stores it: no control, line-separator, bidirectional or lone-surrogate
 * code unit (they are escaped by then), and at most `max` UTF-16 code units. `cleanText` returns
 * clean text within its limit unchanged, so "unchanged by it" is exactly that shape.
 */
const text = (max: number, what: string) =>
  z.string().refine((v) => cleanText(v, max) === v, {
    message: `must be clean ${what} of at most ${max} characters (control characters escaped)`,
  });

/** The same, and not empty: an unknown part of a record is absent, never `''`. */
const someText = (max: number, what: string) =>
  text(max, what).refine((v) => v !== '', { message: `${what} must not be empty` });

/** `Date#toISOString` text: UTC, milliseconds. */
const isoTime = z.iso.datetime({ precision: 3 });

/** An address in the canonical form `normalizeIp` gives (dotted IPv4, RFC 5952 IPv6). */
const canonicalIp = z.string().refine((v) => normalizeIp(v)?.address === v, {
  message: 'must be an IP address in canonical form',
});

/** A keyed hash (`RotatingKey#hmac`) or a random cookie id: 128 bits, base64url. */
const token22 = z.string().regex(/^[A-Za-z0-9_-]{22}$/, {
  message: 'must be 22 base64url characters',
});

const DEVICE = /^(?:desktop|mobile|tablet|smarttv|console|wearable|embedded|xr)$/;
/** HTTP methods as Node's parser accepts them (`GET`, `M-SEARCH`), cut to 16 characters. */
const METHOD = /^[A-Z][A-Z-]{0,15}$/;
const POLICY = /^[a-z0-9][a-z0-9._-]{0,63}@[A-Za-z0-9._-]{1,32}$/i;

const geoSchema = z.strictObject({
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .exactOptional(),
  region: z
    .string()
    .regex(/^[A-Z0-9]{1,3}$/)
    .exactOptional(),
  city: someText(128, 'a city name').exactOptional(),
  timezone: z
    .string()
    .regex(/^[A-Za-z0-9_+/-]{1,64}$/)
    .exactOptional(),
  eu: z.boolean().exactOptional(),
});

const clientSchema = z.strictObject({
  ip: z.union([canonicalIp, token22]).exactOptional(),
  domain: someText(253, 'a domain name').exactOptional(),
  company: someText(128, 'a company name').exactOptional(),
  geo: geoSchema.exactOptional(),
});

const essentialSchema = z.strictObject({
  method: z.string().regex(METHOD),
  path: text(2048, 'path'),
  route: text(512, 'route').exactOptional(),
  status: z.number().int().min(0).max(999),
  durationMs: z.number().min(0),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).exactOptional(),
  aborted: z.boolean().exactOptional(),
  host: text(255, 'host')
    .refine((v) => v === v.toLowerCase(), { message: 'host must be lower case' })
    .exactOptional(),
  browser: z
    .strictObject({
      name: someText(64, 'a browser name').exactOptional(),
      major: someText(64, 'a browser version').exactOptional(),
    })
    .exactOptional(),
  os: z
    .strictObject({
      name: someText(64, 'an OS name').exactOptional(),
      version: someText(64, 'an OS version').exactOptional(),
    })
    .exactOptional(),
  device: z.string().regex(DEVICE).exactOptional(),
  bot: z.boolean().exactOptional(),
  userAgent: text(512, 'User-Agent').exactOptional(),
});

const nonessentialSchema = z.strictObject({
  referrer: text(1024, 'referrer')
    .refine((v) => /^https?:\/\/[^/]/.test(v), { message: 'must be an http(s) URL' })
    .exactOptional(),
  visitorId: token22.exactOptional(),
});

const securitySchema = z.strictObject({
  reasons: z.array(text(200, 'reason')).min(1).max(16),
  hold: z.boolean(),
  ip: canonicalIp.exactOptional(),
  // Security investigations: evidence kept for flagged requests only.
  target: text(16 * 1024, 'request target').exactOptional(),
  userAgent: text(2048, 'User-Agent').exactOptional(),
  headers: z.record(z.string().regex(/^[a-z][a-z-]{0,63}$/), text(2048, 'header')).exactOptional(),
  httpVersion: z
    .string()
    .regex(/^\d\.\d$/)
    .exactOptional(),
  port: z.number().int().min(0).max(65535).exactOptional(),
  sealedIp: z
    .string()
    .regex(/^x25519\.v1(\.[A-Za-z0-9_-]{1,200}){4}$/)
    .exactOptional(),
  chain: z
    .string()
    .regex(/^[0-9a-f-]{36}$/)
    .exactOptional(),
  seq: z.number().int().min(0).exactOptional(),
  checkpoint: z
    .strictObject({
      count: z.number().int().min(0),
      time: isoTime,
      sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
    })
    .exactOptional(),
  prev: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/)
    .exactOptional(),
  hash: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/)
    .exactOptional(),
});

const expiresSchema = z.strictObject({
  client: isoTime.exactOptional(),
  essential: isoTime.exactOptional(),
  nonessential: isoTime.exactOptional(),
  optional: isoTime.exactOptional(),
  security: isoTime.exactOptional(),
});

/**
 * Every {@link AccessRecord} a store receives has this shape: no key the record type does not
 * name, at any depth, and every field in the form the processor writes it (a UUIDv7 id, UTC
 * millisecond times, canonical addresses or 22-character hashes, clean bounded text). A record
 * that fails it was forged, or the processor has a bug. Optional fields are absent, never
 * `undefined`.
 */
export const accessRecordSchema = z.strictObject({
  v: z.literal(RECORD_VERSION),
  id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
  time: isoTime,
  policy: z.string().regex(POLICY),
  consent: z.strictObject({
    analytics: z.boolean(),
    basis: z.enum(['consent', 'opt-out', 'none']),
    gpc: z.boolean(),
    dnt: z.boolean(),
  }),
  client: clientSchema.exactOptional(),
  essential: essentialSchema,
  nonessential: nonessentialSchema.exactOptional(),
  optional: z.record(z.string().min(1), text(Number.POSITIVE_INFINITY, 'field')).exactOptional(),
  security: securitySchema.exactOptional(),
  expires: expiresSchema,
});

// The schema and the hand-written type must not drift apart: these fail to compile when a field
// is added, removed, renamed, made optional or retyped on one side only.
type Assignable<From, To> = [From] extends [To] ? true : false;
// Identity, not assignability: it also tells `{ a?: string }` from `{}` and `readonly` from not.
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Parsed = z.output<typeof accessRecordSchema>;
/** Every record the schema accepts is an {@link AccessRecord}. */
true satisfies Assignable<Parsed, AccessRecord>;
/** Every {@link AccessRecord} is something the schema describes. */
true satisfies Assignable<AccessRecord, Parsed>;
true satisfies Same<Parsed, AccessRecord>;
