import { randomFillSync } from 'node:crypto';
import type * as Cookie from 'cookie';
import type CookieParser from 'cookie-parser';
import type Signature from 'cookie-signature';
import { requireCommonJs } from '../shared/commonjs.js';

const { parse } = requireCommonJs('cookie') as typeof Cookie;
const cookieParser = requireCommonJs('cookie-parser') as typeof CookieParser;
const signature = requireCommonJs('cookie-signature') as typeof Signature;

/** What the visitor chose through the privacy routes; the cookie holds only this word. */
export type Choice = 'in' | 'out';

/** 128 random bits as base64url: 22 characters. */
const VISITOR_ID = /^[A-Za-z0-9_-]{22}$/;

// Drawn from the CSPRNG in blocks (one call per 128 ids, as `crypto.randomUUID` does); the bytes
// of an id are wiped from the block once it is issued.
const idPool = Buffer.alloc(16 * 128);
let idOffset = idPool.length;

/** A new visitor id: 128 bits from the CSPRNG, encoding nothing about the visitor. */
export function newVisitorId(): string {
  if (idOffset + 16 > idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + 16);
  idPool.fill(0, idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

/** The cookie name to use: `__Host-` on secure requests binds it to this host, path `/`, Secure. */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

/**
 * Parse the Cookie header into a null-prototype map (a cookie named `__proto__` stays a plain key).
 * Values that fail URI decoding are kept raw by the parser; callers validate every value they use.
 */
export function parseCookies(header: string | undefined): Record<string, string | undefined> {
  if (!header) return Object.create(null) as Record<string, string | undefined>;
  try {
    return parse(header);
  } catch {
    return Object.create(null) as Record<string, string | undefined>;
  }
}

/**
 * The raw values of the cookies named `names` in a Cookie header, into `out` (same order; undefined
 * where absent), read as `parseCookies` reads them: the first pair of a name wins, names and values
 * are trimmed of spaces and tabs. Values stay percent-encoded (see {@link decodeCookieValue}), and
 * no other cookie is sliced, decoded or kept: a header full of other sites' cookies costs a few
 * string searches.
 */
export function findCookies(
  header: string,
  names: readonly string[],
  out: (string | undefined)[],
): void {
  out.length = names.length;
  out.fill(undefined);
  const len = header.length;
  let index = 0;
  while (index < len) {
    const eq = header.indexOf('=', index);
    if (eq === -1) break;
    let end = header.indexOf(';', index);
    if (end === -1) end = len;
    if (eq > end) {
      // A pair without `=`: start again at the pair that holds this `=`.
      index = header.lastIndexOf(';', eq - 1) + 1;
      continue;
    }
    const keyStart = skipBlanks(header, index, eq);
    const keyEnd = trimBlanks(header, keyStart, eq);
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (
        out[i] === undefined &&
        keyEnd - keyStart === name.length &&
        header.startsWith(name, keyStart)
      ) {
        const valueStart = skipBlanks(header, eq + 1, end);
        out[i] = header.slice(valueStart, trimBlanks(header, valueStart, end));
      }
    }
    index = end + 1;
  }
}

const isBlank = (code: number) => code === 0x20 || code === 0x09;

function skipBlanks(text: string, start: number, end: number): number {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  return start;
}

function trimBlanks(text: string, start: number, end: number): number {
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return end;
}

/** A cookie value as `parseCookies` gives it: percent-decoded, or as is when that fails. */
export function decodeCookieValue(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The visitor id from a signed cookie value, or undefined when the value is absent, unsigned,
 * tampered, signed with an unknown secret, or not an id this library made (never trusted).
 */
export function verifyVisitorId(
  raw: string | undefined,
  secrets: readonly string[],
): string | undefined {
  if (typeof raw !== 'string' || !raw.startsWith('s:') || raw.length > 200) return undefined;
  const value = cookieParser.signedCookie(raw, secrets as string[]);
  return typeof value === 'string' && VISITOR_ID.test(value) ? value : undefined;
}

/** A choice cookie's value, when it is one of the two words; anything else is no choice. */
export function readChoice(raw: string | undefined): Choice | undefined {
  return raw === 'in' || raw === 'out' ? raw : undefined;
}

export interface CookieSpec {
  name: string;
  value: string;
  /** `value` is percent-encoded already (as the Cookie header will bring it back). */
  encoded?: boolean;
  /** Lifetime in ms; 0 expires the cookie now. */
  maxAgeMs: number;
  secure: boolean;
}

/**
 * `Set-Cookie` text with the analytics cookie's attributes: HttpOnly, SameSite=Lax, Path=/, no
 * Domain.
 * The text is exactly what `cookie`'s `serialize` makes of these options; it is put together here
 * because `serialize` validates everything and formats a date anew for every cookie, where the
 * names come validated from the policy and the `Expires` text changes once a second.
 */
export function serializeCookie(spec: CookieSpec): string {
  const seconds = Math.floor(spec.maxAgeMs / 1000);
  const value = spec.value === '' || spec.encoded ? spec.value : encodeURIComponent(spec.value);
  return `${spec.name}=${value}; Max-Age=${seconds}; Path=/; Expires=${expiresText(seconds === 0 ? 0 : Date.now() + seconds * 1000)}; HttpOnly${spec.secure ? '; Secure' : ''}; SameSite=Lax`;
}

let expiresSecond = Number.NaN;
let expiresLast = '';

/** `Expires` text of an instant; the last one is remembered, as cookies are set many a second. */
function expiresText(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== expiresSecond) {
    expiresLast = new Date(second * 1000).toUTCString();
    expiresSecond = second;
  }
  return expiresLast;
}

/** The signed form of a visitor id, readable by cookie-parser with the same secret. */
export function signVisitorId(id: string, secret: string): string {
  return `s:${signature.sign(id, secret)}`;
}
