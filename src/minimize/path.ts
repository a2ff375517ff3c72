import { CLOSE_LOOK_COST, type RedactionBudget, redactionBudget } from './budget.js';
import { REDACTED_EMAIL } from './email.js';
import { REDACTED, redactMarked, redactText, triage } from './identifiers.js';
import { ELLIPSIS } from './text.js';

/**
 * Parameter names that are never kept, even when allow-listed: their values are
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

/** What stands in for an id segment of a path when no route template is known. */
export const PATH_ID = ':id';
/** What stands in for a path segment that is an e-mail address. */
export const PATH_EMAIL = ':email';

/**
 * How path segments are treated: `keep` leaves them; `personal` replaces e-mail addresses, JWTs,
 * IP addresses and identifier runs in them (always safe: no route has those as literals); `ids`
 * also replaces whole segments that look like ids (for requests no route template matched, and
 * for referrers).
 */
export type PathRedaction = 'keep' | 'personal' | 'ids';

const AT = 0x40;
const PERCENT = 0x25;
const COLON = 0x3a;
const DOT = 0x2e;
const DASH = 0x2d;

const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;

function isHex(code: number): boolean {
  const lower = code | 0x20;
  return isDigit(code) || (lower >= 0x61 && lower <= 0x66);
}

/**
 * Whether any redaction could change `path`: an `@` (or `%`, which may encode one), a colon,
 * `eyJ`, a run of seven or more hex digits and dashes, a digit next to a dot, and with `ids` any
 * digit. Most paths of a site with route templates have none and are returned without splitting.
 */
function mayChange(path: string, ids: boolean): boolean {
  if (path.includes('eyJ')) return true;
  let run = 0;
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === AT || code === PERCENT || code === COLON) return true;
    if (ids && isDigit(code)) return true;
    if (isHex(code) || code === DASH) {
      if (++run >= 7) return true;
    } else {
      run = 0;
      if (code === DOT && i > 0 && isDigit(path.charCodeAt(i - 1))) return true;
    }
  }
  return false;
}

/**
 * Whether `path[start, end)` is an id segment: all digits, a UUID, or 16 or more hex characters
 * with a digit among them.
 */
function isWholeId(path: string, start: number, end: number): boolean {
  const length = end - start;
  let digits = true;
  let hex = true;
  let hasDigit = false;
  let uuid = length === 36;
  for (let i = start; i < end; i++) {
    const code = path.charCodeAt(i);
    const digit = isDigit(code);
    const hexDigit = isHex(code);
    if (uuid) {
      const at = i - start;
      const dash = at === 8 || at === 13 || at === 18 || at === 23;
      uuid = dash ? code === DASH : hexDigit;
    }
    if (digit) hasDigit = true;
    else digits = false;
    if (!hexDigit) hex = false;
    if (!digits && !hex && !uuid) return false;
  }
  return digits || uuid || (hex && hasDigit && length >= 16);
}

const ENCODED_REDACTED = encodeURIComponent(REDACTED);

/**
 * What stands in for the segment `path[start, end)` (without its parameters): `undefined` when it
 * stays as it is, `null` when the budget cannot pay for the close look it needs (a replacement,
 * decoding, or a run through the passes).
 */
function redactHead(
  path: string,
  start: number,
  end: number,
  ids: boolean,
  encoded: boolean,
  budget: RedactionBudget,
): string | undefined | null {
  if (ids && isWholeId(path, start, end)) {
    budget.closeLooks -= CLOSE_LOOK_COST + end - start;
    return budget.closeLooks < 0 ? null : PATH_ID;
  }
  const raw = path.slice(start, end);
  // Decoding is a close look too, if a cheaper one: it costs more than a scan, and long encoded
  // segments (a title in another script) are ordinary.
  if (encoded) {
    budget.closeLooks -= CLOSE_LOOK_COST + (raw.length >> 2);
    if (budget.closeLooks < 0) return null;
  }
  const text = encoded ? safeDecode(raw) : raw;
  const marks = triage(text);
  if (marks === 0) return undefined;
  budget.closeLooks -= CLOSE_LOOK_COST + text.length;
  if (budget.closeLooks < 0) return null;
  const redacted = redactMarked(text, marks, budget);
  if (redacted === text) return undefined;
  if (redacted === REDACTED_EMAIL) return PATH_EMAIL;
  if (redacted === REDACTED) return ids ? PATH_ID : ENCODED_REDACTED;
  return encodeURIComponent(redacted);
}

/**
 * The parameters of a segment (`;a=1;jsessionid=…`) with secret values replaced and, unless
 * `mode` is `keep`, the others redacted; `undefined` when nothing changes, `null` when the budget
 * runs out (each parameter costs a segment, and each value looked at a close look).
 */
function redactParams(
  text: string,
  mode: PathRedaction,
  budget: RedactionBudget,
): string | undefined | null {
  let out = '';
  let changed = false;
  for (const part of text.slice(1).split(';')) {
    if (--budget.segments < 0) return null;
    const equals = part.indexOf('=');
    out += ';';
    if (equals === -1) {
      out += part;
      continue;
    }
    const name = part.slice(0, equals);
    const value = part.slice(equals + 1);
    if (SECRET_PARAM.test(name)) {
      out += `${name}=${REDACTED}`;
      changed = true;
      continue;
    }
    if (mode === 'keep') {
      out += part;
      continue;
    }
    budget.closeLooks -= CLOSE_LOOK_COST + value.length;
    if (budget.closeLooks < 0) return null;
    const decoded = value.includes('%') ? safeDecode(value) : value;
    const redacted = redactText(decoded, budget);
    if (redacted === decoded) out += part;
    else {
      out += `${name}=${encodeURIComponent(redacted)}`;
      changed = true;
    }
  }
  return changed ? out : undefined;
}

/**
 * Replaces identifying path segments and secret path parameters: `/users/123456` becomes
 * `/users/:id`, `/u/jane%40example.com` becomes `/u/:email`, `;jsessionid=…` gets the value
 * `[redacted]` in every mode.
 *
 * With `ids`, a segment is an id ({@link PATH_ID}) when it is all digits, a UUID, 16 or more hex
 * characters with a digit, or wholly an identifier that {@link redactText} replaces (an IP
 * address, a long hex or digit run). With `personal` or `ids`, e-mail segments become
 * {@link PATH_EMAIL}, and parts of segments and the values of other path parameters go through
 * {@link redactText}. Segments are judged percent-decoded (`2001%3Adb8%3A%3A1` is an address);
 * the percent-encoding of segments that stay is kept.
 *
 * Time linear in the length of `path`, and bounded by `budget`: a path with more segments or
 * close looks than it allows is cut before the first segment it cannot afford, and ends in `…`
 * (`budget.cut` is then set).
 */
export function redactPathSegments(
  path: string,
  mode: PathRedaction,
  budget: RedactionBudget = redactionBudget(),
): string {
  const ids = mode === 'ids';
  let semicolon = path.indexOf(';');
  if (semicolon === -1 && (mode === 'keep' || !mayChange(path, ids))) return path;
  let percent = path.indexOf('%');
  let out = '';
  let copied = 0;
  let start = 0;
  while (start < path.length) {
    if (--budget.segments < 0 || budget.closeLooks < 0) {
      budget.cut = true;
      return `${out}${path.slice(copied, start)}${ELLIPSIS}`;
    }
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    // The next `;` and `%` at or after `start`, each found once: the scan stays linear.
    if (semicolon !== -1 && semicolon < start) semicolon = path.indexOf(';', start);
    if (percent !== -1 && percent < start) percent = path.indexOf('%', start);
    const headEnd = semicolon !== -1 && semicolon < end ? semicolon : end;
    const head =
      mode === 'keep' || headEnd === start
        ? undefined
        : redactHead(path, start, headEnd, ids, percent !== -1 && percent < headEnd, budget);
    const params = headEnd < end ? redactParams(path.slice(headEnd, end), mode, budget) : undefined;
    if (head === null || params === null) {
      budget.cut = true;
      return `${out}${path.slice(copied, start)}${ELLIPSIS}`;
    }
    if (head !== undefined || params !== undefined) {
      out += path.slice(copied, start);
      out += head ?? path.slice(start, headEnd);
      out += params ?? path.slice(headEnd, end);
      copied = end;
    }
    start = end + 1;
  }
  return copied === 0 ? path : out + path.slice(copied);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * How much of a path is looked at when at most `maxLength` characters of it are kept: twice as
 * much, so that what redaction shortens (`/:email` for a long address) still fills the record.
 */
export function pathInputLimit(maxLength: number): number {
  return 2 * Math.max(0, Math.floor(maxLength)) + 2;
}

/**
 * A path as a record may keep it: the one redaction that request paths and referrer paths share.
 *
 * - Only the first {@link pathInputLimit} characters are looked at, cut after the last whole
 *   segment, and only as many segments as `budget` allows; a cut path ends in `…` and sets
 *   `budget.cut`. So the work per path is bounded whatever its length, and no part of a segment
 *   that was not looked at is kept.
 * - Segments and path parameters go through {@link redactPathSegments} with `mode`.
 *
 * The result is not yet cleaned of control characters nor cut to `maxLength`.
 */
export function redactUrlPath(
  path: string,
  mode: PathRedaction,
  maxLength: number,
  budget: RedactionBudget = redactionBudget(maxLength),
): string {
  const limit = pathInputLimit(maxLength);
  if (path.length <= limit) return redactPathSegments(path, mode, budget);
  const redacted = redactPathSegments(
    path.slice(0, path.lastIndexOf('/', limit) + 1),
    mode,
    budget,
  );
  if (budget.cut) return redacted;
  budget.cut = true;
  return redacted + ELLIPSIS;
}
