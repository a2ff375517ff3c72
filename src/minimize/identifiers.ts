import { type RedactionBudget, redactionBudget } from './budget.js';
import { redactEmails } from './email.js';
import { isIpv6Literal } from './ip.js';

/**
 * Redaction of what identifies a person or carries a secret inside free text: a path segment, a
 * query value, a referrer's path.
 *
 * Every pass is a loop over the characters that looks at each of them a bounded number of times,
 * with no regular expression: the time grows with the length of the text and not faster, whatever
 * the text is. (A backtracking pattern such as `eyJ[\w-]*\.[\w-]+\.[\w-]*` scans the rest of a
 * run from every `eyJ` in it: 74 ms for 16 KB of `eyJeyJ…`.)
 */

/** What stands in for a redacted value or part of one. */
export const REDACTED = '[redacted]';
/** What stands in for a JSON Web Token. */
export const REDACTED_JWT = '[redacted-jwt]';

const DOT = 0x2e;
const DASH = 0x2d;
const COLON = 0x3a;

const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;

/** The code unit at `i`, or -1 outside the text: reading past the end would deoptimise a loop. */
const codeAt = (text: string, i: number): number =>
  i >= 0 && i < text.length ? text.charCodeAt(i) : -1;

function isHex(code: number): boolean {
  const lower = code | 0x20;
  return isDigit(code) || (lower >= 0x61 && lower <= 0x66);
}

/** `[A-Za-z0-9_-]`: what a base64url part of a JWT holds. */
function isBase64Url(code: number): boolean {
  const lower = code | 0x20;
  return isDigit(code) || (lower >= 0x61 && lower <= 0x7a) || code === 0x5f || code === DASH;
}

function skipBase64Url(text: string, from: number): number {
  let i = from;
  while (i < text.length && isBase64Url(text.charCodeAt(i))) i++;
  return i;
}

/**
 * JWTs: a header that starts `eyJ` (base64url of `{"`), a payload and a signature (empty for
 * `alg: none`), joined by dots. After a failed candidate the search goes on from where the
 * candidate failed, since every `eyJ` before that point would fail there too.
 */
function redactJwts(text: string): string {
  let out = '';
  let last = 0;
  let from = 0;
  for (;;) {
    const start = text.indexOf('eyJ', from);
    if (start === -1) break;
    const header = skipBase64Url(text, start + 3);
    from = header;
    if (codeAt(text, header) !== DOT) continue;
    const payload = skipBase64Url(text, header + 1);
    from = header + 1;
    if (payload === header + 1 || codeAt(text, payload) !== DOT) continue;
    const end = skipBase64Url(text, payload + 1);
    if (start === 0 && end === text.length) return REDACTED_JWT;
    out += text.slice(last, start) + REDACTED_JWT;
    last = end;
    from = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Replaces `[start, end)` spans (in order, not overlapping) of `text` with {@link REDACTED}. */
function replaceSpans(text: string, spans: readonly number[] | undefined): string {
  if (spans === undefined) return text;
  // The same string when the span is the whole text, so callers can tell cheaply.
  if (spans.length === 2 && spans[0] === 0 && spans[1] === text.length) return REDACTED;
  let out = '';
  let last = 0;
  for (let i = 0; i < spans.length; i += 2) {
    out += text.slice(last, spans[i]) + REDACTED;
    last = spans[i + 1]!;
  }
  return out + text.slice(last);
}

// A textual IPv6 address is at most 45 characters (eight groups, or six and a dotted quad).
const MAX_IPV6_TEXT = 45;

/**
 * IPv6 addresses: a run of hex digits, colons and dots, with a `::` or seven colons, that is an
 * address in the RFC 4291 text forms (so `12:30:45` and a MAC address stay).
 */
function redactIpv6(text: string): string {
  let spans: number[] | undefined;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (!(isHex(code) || code === COLON || code === DOT)) {
      i++;
      continue;
    }
    let start = i;
    let colons = 0;
    let double = false;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === COLON) {
        colons++;
        if (i > start && text.charCodeAt(i - 1) === COLON) double = true;
      } else if (!(isHex(c) || c === DOT)) break;
      i++;
    }
    let end = i;
    while (start < end && text.charCodeAt(start) === DOT) start++;
    while (end > start && text.charCodeAt(end - 1) === DOT) end--;
    if (
      (double || colons >= 7) &&
      end - start <= MAX_IPV6_TEXT &&
      isIpv6Literal(text, start, end)
    ) {
      spans ??= [];
      spans.push(start, end);
    }
  }
  return replaceSpans(text, spans);
}

/**
 * IPv4 addresses: four or more dot-separated parts of one to three digits in a row. A longer
 * chain (`1.2.3.4.5`) goes too: it may hold an address, and a version number loses little.
 */
function redactIpv4(text: string): string {
  let spans: number[] | undefined;
  let chainStart = -1;
  let chainEnd = -1;
  let parts = 0;
  let i = 0;
  for (;;) {
    while (i < text.length && !isDigit(text.charCodeAt(i))) i++;
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    // A part continues the chain only when a single dot joins it to the previous one; a part of
    // more than three digits, or the end of the text, ends it.
    const joined = parts > 0 && start === chainEnd + 1 && text.charCodeAt(chainEnd) === DOT;
    const small = i > start && i - start <= 3;
    if (!(joined && small)) {
      if (parts >= 4) {
        spans ??= [];
        spans.push(chainStart, chainEnd);
      }
      parts = 0;
    }
    if (i === start) break;
    if (!small) continue;
    if (parts === 0) chainStart = start;
    chainEnd = i;
    parts++;
  }
  return replaceSpans(text, spans);
}

/**
 * Identifier runs: hex digits in groups joined by single dashes (`3f2504e0-4f89-…`), replaced
 * whole when they hold 32 or more hex digits (UUIDs, hashes, keys), a run of 9 or more decimal
 * digits (phone, account and card numbers), or four groups of one to three decimal digits in a row
 * (an IPv4 address written with dashes, as in `ec2-203-0-113-7`). Replacing the whole run, not
 * only the long part, is what keeps the rest of a UUID out of the record.
 */
function redactIdRuns(text: string): string {
  let spans: number[] | undefined;
  let i = 0;
  while (i < text.length) {
    if (!isHex(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let hex = 0;
    let digits = 0;
    let longestDigits = 0;
    let group = 0;
    let decimal = true;
    // Groups of one to three decimal digits in a row, and the most of them seen.
    let octets = 0;
    let mostOctets = 0;
    for (;;) {
      const code = codeAt(text, i);
      if (isHex(code)) {
        hex++;
        group++;
        if (isDigit(code)) digits++;
        else {
          digits = 0;
          decimal = false;
        }
        if (digits > longestDigits) longestDigits = digits;
        i++;
        continue;
      }
      // The end of a group.
      octets = decimal && group <= 3 ? octets + 1 : 0;
      if (octets > mostOctets) mostOctets = octets;
      if (code !== DASH || !isHex(codeAt(text, i + 1))) break;
      group = 0;
      digits = 0;
      decimal = true;
      i++;
    }
    if (hex >= 32 || longestDigits >= 9 || mostOctets >= 4) {
      spans ??= [];
      spans.push(start, i);
    }
  }
  return replaceSpans(text, spans);
}

// What a text holds that some pass below looks for; a pass whose mark is absent cannot change it.
const HAS_AT = 1;
const HAS_JWT_START = 2;
const HAS_IPV6_SHAPE = 4;
const HAS_DIGIT_DOT = 8;
const HAS_LONG_RUN = 16;

/**
 * One look at every character: which passes `text` needs, as marks for {@link redactMarked}; 0
 * when none could change it.
 */
export function triage(text: string): number {
  let found = 0;
  let run = 0;
  let colons = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isHex(code) || code === DASH) {
      // Seven characters is the shortest identifier run: `1-2-3-4`.
      if (++run >= 7) found |= HAS_LONG_RUN;
      if (code === 0x65 && codeAt(text, i + 1) === 0x79 && codeAt(text, i + 2) === 0x4a) {
        found |= HAS_JWT_START;
      }
      continue;
    }
    run = 0;
    if (code === 0x40) found |= HAS_AT;
    else if (code === COLON) {
      if (++colons >= 7 || codeAt(text, i + 1) === COLON) found |= HAS_IPV6_SHAPE;
    } else if (code === DOT && isDigit(codeAt(text, i - 1)) && isDigit(codeAt(text, i + 1))) {
      found |= HAS_DIGIT_DOT;
    }
  }
  return found;
}

/** `text` with the passes that {@link triage} marked run on it. */
export function redactMarked(text: string, marks: number, budget: RedactionBudget): string {
  let out = text;
  // The markers put in hold none of what a later pass looks for, so the marks stay valid.
  if (marks & HAS_AT) out = redactEmails(out, budget);
  if (marks & HAS_JWT_START) out = redactJwts(out);
  if (marks & HAS_IPV6_SHAPE) out = redactIpv6(out);
  if (marks & HAS_DIGIT_DOT) out = redactIpv4(out);
  if (marks & HAS_LONG_RUN) out = redactIdRuns(out);
  return out;
}

/**
 * `text` without e-mail addresses, JWTs, IP addresses and identifier runs, each replaced by its
 * marker. Shares `budget` with the other parts of the same path or value.
 */
export function redactText(text: string, budget: RedactionBudget): string {
  const marks = triage(text);
  return marks === 0 ? text : redactMarked(text, marks, budget);
}

/**
 * Replaces the parts of `value` that identify a person or carry a secret: e-mail addresses
 * (`[redacted-email]`), JWTs ({@link REDACTED_JWT}), and ({@link REDACTED}) IPv4 and IPv6
 * addresses and identifier runs: hex groups joined by dashes that hold 32 or more hex digits
 * (UUIDs, hashes, API keys, session ids) or 9 or more digits in a row (phone, account and card
 * numbers), replaced whole. The rest of the value is kept. Digits separated by spaces, or by
 * dashes in groups too short to add up to an identifier, are not caught. Time linear in the
 * length of `value`.
 */
export function redactValue(value: string): string {
  return redactText(value, redactionBudget());
}
