import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { parse, serialize } from 'cookie';
import cookieParser from 'cookie-parser';
import signature from 'cookie-signature';

/** What the visitor chose through the privacy routes; the cookie holds only this word. */
export type Choice = 'in' | 'out';

/** 128 random bits as base64url: 22 characters. */
const VISITOR_ID = /^[A-Za-z0-9_-]{22}$/;

/** A new visitor id: 128 bits from the CSPRNG, encoding nothing about the visitor (K4). */
export function newVisitorId(): string {
  return randomBytes(16).toString('base64url');
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
 * The visitor id from a signed cookie value, or undefined when the value is absent, unsigned,
 * tampered, signed with an unknown secret, or not an id this library made (K4: never trusted).
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
  /** Lifetime in ms; 0 expires the cookie now. */
  maxAgeMs: number;
  secure: boolean;
}

/** `Set-Cookie` text with the attributes K1 asks for: HttpOnly, SameSite=Lax, Path=/, no Domain. */
export function serializeCookie(spec: CookieSpec): string {
  const seconds = Math.floor(spec.maxAgeMs / 1000);
  return serialize(spec.name, spec.value, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: spec.secure,
    maxAge: seconds,
    expires: new Date(seconds === 0 ? 0 : Date.now() + seconds * 1000),
  });
}

/** The signed form of a visitor id, readable by cookie-parser with the same secret. */
export function signVisitorId(id: string, secret: string): string {
  return `s:${signature.sign(id, secret)}`;
}

/** Take back `Set-Cookie` lines this response was about to send for these names. */
export function dropPendingCookies(res: ServerResponse, names: readonly string[]): void {
  const existing = res.getHeader('set-cookie');
  if (existing === undefined) return;
  const list = Array.isArray(existing) ? existing : [String(existing)];
  const kept = list.filter((line) => !names.some((name) => line.startsWith(`${name}=`)));
  if (kept.length !== list.length) res.setHeader('Set-Cookie', kept);
}

/**
 * Set a cookie on the response, replacing any `Set-Cookie` for the same name added earlier in this
 * response (the middleware may have set the visitor cookie before a privacy route clears it).
 */
export function putCookie(res: ServerResponse, name: string, text: string): void {
  const existing = res.getHeader('set-cookie');
  const list =
    existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  const prefix = `${name}=`;
  const kept = list.filter((line) => !line.startsWith(prefix));
  kept.push(text);
  res.setHeader('Set-Cookie', kept);
}
