import { cleanText } from './text.js';

/**
 * Query parameter names that are never kept, even when allow-listed: their values are
 * credentials, session or one-time codes, or contact data. Matched case-insensitively anywhere in
 * the name (`access_token`, `X-Amz-Signature`, `userEmail`, `PHPSESSID`, `state_code`).
 *
 * Listed parts: token, password, passwd, passphrase (via `pass`), pwd, secret, key, session, sid,
 * auth, code, signature, sig, email, mail, otp, jwt, credential, ticket, nonce, bearer.
 *
 * The match is deliberately broad: `sig` also hits `design`, `key` hits `keyword`, `auth` hits
 * `author`. A false hit only drops a parameter, which is the safe failure; rename the parameter
 * or leave it out of the record if that matters.
 */
export const SECRET_PARAM =
  /token|pass|pwd|secret|key|session|sid|auth|code|sig|mail|otp|jwt|credential|ticket|nonce|bearer/i;

/** What stands in for a redacted value or part of one. */
export const REDACTED = '[redacted]';
/** What stands in for an e-mail address. */
export const REDACTED_EMAIL = '[redacted-email]';
/** What stands in for a JSON Web Token. */
export const REDACTED_JWT = '[redacted-jwt]';

// Bounded repetitions keep these linear on hostile input (a long value with an `@` and no dot).
const EMAIL = /[^\s@/?#&=;]{1,64}@(?:[^\s@/?#&=;.]{1,63}\.)+[^\s@/?#&=;.]{2,63}/g;
// A JWT's header is base64url JSON, so it starts with `eyJ` (`{"`); this prefix keeps domain names
// such as `www.example.com` out. The signature is empty for `alg: none`.
const JWT = /eyJ[\w-]*\.[\w-]+\.[\w-]*/g;
const LONG_HEX = /[0-9a-f]{32,}/gi;
const LONG_DIGITS = /[0-9]{9,}/g;
const MAYBE_SENSITIVE = /@|eyJ|[0-9a-f]{9}/i;

/**
 * Replaces the parts of `value` that identify a person or carry a secret: e-mail addresses
 * ({@link REDACTED_EMAIL}), JWTs ({@link REDACTED_JWT}), hex runs of 32 or more characters
 * (hashes, API keys, session ids) and digit runs of 9 or more (phone, account and card numbers)
 * ({@link REDACTED}). The rest of the value is kept. Digits separated by spaces or dashes, and
 * UUIDs, are not caught.
 */
export function redactValue(value: string): string {
  if (!MAYBE_SENSITIVE.test(value)) return value;
  return value
    .replace(EMAIL, REDACTED_EMAIL)
    .replace(JWT, REDACTED_JWT)
    .replace(LONG_HEX, REDACTED)
    .replace(LONG_DIGITS, REDACTED);
}

/** What stands in for an id segment of a path when no route template is known. */
export const PATH_ID = ':id';
/** What stands in for a path segment that is an e-mail address. */
export const PATH_EMAIL = ':email';

/**
 * How path segments are treated: `keep` leaves them; `personal` replaces e-mail addresses, JWTs
 * and long hex or digit runs in them (always safe: no route has those as literals); `ids` also
 * replaces whole segments that look like ids (for requests no route template matched).
 */
export type PathRedaction = 'keep' | 'personal' | 'ids';

const WHOLE_EMAIL = /^[^\s@/]{1,64}@[^\s@/]{1,255}\.[^\s@/.]{2,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGITS = /^\d+$/;
const HEX_ID = /^(?=[a-f]*\d)[0-9a-f]{16,}$/i;
// What every replacement below needs somewhere in the path: an `@` (or `%`, which may encode one),
// `eyJ`, or a run of hex; `ids` also any digit. A path with none of these is returned untouched
// without splitting it, which is most paths of a site with route templates.
const MAY_CHANGE_PERSONAL = /[@%]|eyJ|[0-9a-f]{9}/i;
const MAY_CHANGE_IDS = /[@%0-9]|eyJ|[a-f]{9}/i;

/**
 * Replaces identifying path segments (M2): `/users/123456` becomes `/users/:id`,
 * `/u/jane%40example.com` becomes `/u/:email`. With `ids`, a segment is an id when it is all
 * digits, a UUID, or 16 or more hex characters with a digit; with `personal` or `ids`, e-mail
 * segments become {@link PATH_EMAIL} and parts of segments go through {@link redactValue}. The
 * percent-encoding of other segments is kept.
 */
export function redactPathSegments(path: string, mode: PathRedaction): string {
  if (mode === 'keep' || path === '' || path === '/') return path;
  if (!(mode === 'ids' ? MAY_CHANGE_IDS : MAY_CHANGE_PERSONAL).test(path)) return path;
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '') continue;
    const param = segment.indexOf(';');
    const head = param === -1 ? segment : segment.slice(0, param);
    const rest = param === -1 ? '' : segment.slice(param);
    const decoded = head.includes('%') ? safeDecode(head) : head;
    if (WHOLE_EMAIL.test(decoded)) segments[i] = PATH_EMAIL + rest;
    else if (mode === 'ids' && (DIGITS.test(head) || UUID.test(head) || HEX_ID.test(head))) {
      segments[i] = PATH_ID + rest;
    } else if (MAYBE_SENSITIVE.test(decoded)) {
      const redacted = redactValue(decoded);
      if (redacted !== decoded) segments[i] = encodeURIComponent(redacted) + rest;
    }
  }
  return segments.join('/');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// `scheme://` at the start: an absolute-form request target (`GET http://evil.example/x`).
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;
// A path parameter such as `;jsessionid=…`, which servlet containers put into paths.
const PATH_PARAM = /;([^/;=]*)=([^/;]*)/g;

/**
 * The path of a request, without what M2 forbids keeping.
 *
 * - Input is Express's `req.originalUrl`: origin form (`/a/b?x=1`), absolute form
 *   (`http://evil.example/x?y`, where only `/x` is kept, never the host or credentials), or garbage
 *   (`*`, `''`, `//double`, which are kept as text and cleaned).
 * - The path keeps its percent-encoding as received. Path parameters whose name matches
 *   {@link SECRET_PARAM} (`;jsessionid=…`) get the value {@link REDACTED}.
 * - The query keeps only parameters named in `allow` (exact, case-sensitive), in their original
 *   order, minus any whose name matches {@link SECRET_PARAM}; values go through
 *   {@link redactValue}. Kept parameters are re-encoded by `URLSearchParams` (a space becomes `+`).
 *   When none is kept, the `?` goes too.
 * - The fragment is never kept (browsers do not send it; a hand-made request can).
 * - Path segments go through {@link redactPathSegments} with `segments` (default `keep`).
 * - The result goes through {@link cleanText}: control characters escaped, at most `maxLength`
 *   characters, ending in `…` when cut.
 *
 * Never throws.
 *
 * @param allow Query parameter names that may be kept.
 * @param maxLength Maximum length of the result in UTF-16 code units. Default: 2048.
 * @param segments How identifying path segments are replaced. Default: `keep`.
 */
export function minimizePath(
  url: string,
  allow: ReadonlySet<string>,
  maxLength = 2048,
  segments: PathRedaction = 'keep',
): string {
  if (typeof url !== 'string') return '';
  let end = url.length;
  const hash = url.indexOf('#');
  if (hash !== -1) end = hash;
  const question = url.indexOf('?');
  const queryStart = question !== -1 && question < end ? question : -1;
  let path = url.slice(0, queryStart === -1 ? end : queryStart);

  if (ABSOLUTE.test(path)) {
    const authority = path.indexOf('//') + 2;
    const slash = path.indexOf('/', authority);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  if (path.includes(';')) path = path.replace(PATH_PARAM, redactPathParam);
  path = redactPathSegments(path, segments);

  let query = '';
  if (queryStart !== -1 && allow.size > 0)
    query = keepAllowed(url.slice(queryStart + 1, end), allow);
  return cleanText(query === '' ? path : `${path}?${query}`, maxLength);
}

function redactPathParam(match: string, name: string): string {
  return SECRET_PARAM.test(name) ? `;${name}=${REDACTED}` : match;
}

function keepAllowed(query: string, allow: ReadonlySet<string>): string {
  const kept = new URLSearchParams();
  for (const [name, value] of new URLSearchParams(query)) {
    if (allow.has(name) && !SECRET_PARAM.test(name)) kept.append(name, redactValue(value));
  }
  return kept.toString();
}
