/**
 * Escaping of untrusted text before it reaches a record (CWE-117).
 *
 * Node rejects raw CR, LF, NUL and ESC in headers, but C1 controls, U+2028/U+2029 and
 * percent-decoded values still reach the app, and `JSON.stringify` writes most of them raw. A
 * terminal, a line-based log shipper or a JavaScript-based viewer may treat them as a line break
 * or an escape sequence, so they are written as visible `\u` escapes (four hex digits): the evidence of an attempt
 * stays in the record, but it can no longer split or forge a line.
 */

/**
 * Code units that {@link cleanText} escapes: C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F),
 * the line and paragraph separators U+2028/U+2029, the bidirectional controls (U+061C, U+200E,
 * U+200F, U+202A–U+202E, U+2066–U+2069, which can reorder what a terminal shows: "Trojan Source",
 * CVE-2021-42574), and lone UTF-16 surrogates (invalid text that breaks UTF-8 encoders and some
 * JSON parsers). Without the `u` flag the class works on UTF-16 code units, which is what lets it
 * see a surrogate that has no partner.
 */
const UNSAFE_SOURCE =
  '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]' +
  '|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';

// Two instances: `test` on a global regex would carry `lastIndex` from one call into the next.
const UNSAFE = new RegExp(UNSAFE_SOURCE);
const UNSAFE_ALL = new RegExp(UNSAFE_SOURCE, 'g');

/** What {@link cleanText} appends when it had to cut: one character, so a cut is visible. */
export const ELLIPSIS = '\u2026';

const escapeUnit = (unit: string): string =>
  `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Makes untrusted text safe to store and display.
 *
 * Every unsafe code unit (see above) becomes the six characters `\u` plus four hex digits (lower-case hex, as
 * `JSON.stringify` writes them). Backslashes are left alone, so a client that sends the literal
 * text `\u000a` produces the same output as one that sends a real LF; neither can split a line.
 *
 * The result is at most `maxLength` UTF-16 code units (JavaScript string length). When the text is
 * longer, it is cut and a single `…` ({@link ELLIPSIS}) is appended, counted in `maxLength`. The
 * cut never splits a surrogate pair or an escape: when the input itself contains `\u` text near
 * the cut, the cut may fall up to five characters earlier than strictly needed.
 *
 * Clean text within the limit is returned unchanged (the same string) after a single regex test.
 *
 * @param value Untrusted text.
 * @param maxLength Maximum length of the result in UTF-16 code units; 0 or less (or NaN) gives `''`.
 */
export function cleanText(value: string, maxLength: number): string {
  const max = maxLength > 0 ? Math.floor(maxLength) : 0;
  if (max === 0) return '';
  // Escaping only lengthens, so no unit past `max` can reach the kept part; the one unit more keeps
  // a surrogate pair at the cut whole, so it is not escaped as a lone half.
  const text = value.length > max + 1 ? value.slice(0, max + 1) : value;
  const escaped = UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeUnit) : text;
  if (escaped.length <= max && text === value) return escaped;
  return cutAt(escaped, max - 1) + ELLIPSIS;
}

/** The longest prefix of `text` of at most `limit` code units that ends on a whole character. */
function cutAt(text: string, limit: number): string {
  let end = limit;
  // An escape is six characters long; one that starts in the last five would be split.
  const backslash = text.lastIndexOf('\\u', end - 1);
  if (backslash !== -1 && backslash > end - 6 && isEscapeAt(text, backslash)) end = backslash;
  // Lone surrogates are escaped by now, so a high surrogate here always has its partner after it.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

const HEX4 = /^[0-9a-fA-F]{4}$/;

function isEscapeAt(text: string, index: number): boolean {
  return HEX4.test(text.slice(index + 2, index + 6));
}
