/**
 * The bounded, decoded, lower-case copy of request text that the detectors scan. Every step is a
 * single pass over at most {@link MAX_SCAN} characters, so detection stays linear on any input:
 * no regular expression runs on request data here.
 */

/** Characters of a request target or User-Agent the detectors look at; Node caps headers at 16 KB. */
export const MAX_SCAN = 16 * 1024;

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

// Both passes write into one reused buffer and turn it into a string once: appending characters
// one by one builds a rope that costs far more per character than the scan itself.
const buffer = new Uint16Array(MAX_SCAN);
const utf16 = new TextDecoder('utf-16le');

function bufferText(length: number): string {
  return utf16.decode(buffer.subarray(0, length));
}

/**
 * One round of percent-decoding into byte-valued characters; malformed escapes stay as they are
 * (`decodeURIComponent` would throw, and an attacker chooses the malformation). `%u002e`, the
 * IIS form, decodes too.
 */
function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  let length = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 0x25 && i + 2 < n) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        buffer[length++] = hi * 16 + lo;
        i += 3;
        continue;
      }
      if ((text.charCodeAt(i + 1) | 0x20) === 0x75 && i + 5 < n) {
        let value = 0;
        for (let k = 2; k < 6 && value >= 0; k++) {
          const v = hexValue(text.charCodeAt(i + k));
          value = v < 0 ? -1 : value * 16 + v;
        }
        if (value >= 0) {
          buffer[length++] = value;
          i += 6;
          continue;
        }
      }
    }
    buffer[length++] = ch;
    i++;
  }
  return bufferText(length);
}

/**
 * Folds what scanners use to hide a marker: overlong UTF-8 forms of `.` and `/` (`%c0%ae`,
 * `%c0%af`, `%e0%80%ae`), backslashes, `+` and control characters as spaces, SQL comments
 * (`/**\/`) as one space, runs of spaces as one; then lower case.
 */
function fold(text: string): string {
  let length = 0;
  let space = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let ch = text.charCodeAt(i);
    if (ch === 0xc0 || ch === 0xc1) {
      const next = text.charCodeAt(i + 1);
      if (next === 0xae || next === 0x2e) {
        buffer[length++] = 0x2e;
        i++;
        space = false;
        continue;
      }
      if (next === 0xaf || next === 0x2f || next === 0x9c) {
        buffer[length++] = 0x2f;
        i++;
        space = false;
        continue;
      }
    }
    if (ch === 0xe0 && text.charCodeAt(i + 1) === 0x80) {
      const last = text.charCodeAt(i + 2);
      if (last === 0xae || last === 0xaf) {
        buffer[length++] = last === 0xae ? 0x2e : 0x2f;
        i += 2;
        space = false;
        continue;
      }
    }
    // An inline SQL comment separates keywords exactly as a space does. The search for its end
    // starts after this point and the loop resumes after the end: each character is seen once.
    if (ch === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 1;
      if (!space) buffer[length++] = 0x20;
      space = true;
      continue;
    }
    if (ch === 0x5c) ch = 0x2f;
    if (ch === 0x2b || ch <= 0x20 || ch === 0x7f) {
      if (!space) buffer[length++] = 0x20;
      space = true;
      continue;
    }
    space = false;
    buffer[length++] = ch >= 0x41 && ch <= 0x5a ? ch | 0x20 : ch;
  }
  return bufferText(length);
}

/**
 * Most targets have nothing to decode or fold, and native searches tell so far faster than the
 * character loops. Raw control characters cannot be in a target (Node refuses them); encoded
 * ones contain `%` and take the long way. The characters the text holds answer first: without
 * any character a breaker needs, no breaker can be in it.
 */
function plain(text: string): boolean {
  const held = charsOf(text);
  if ((held[0]! & PLAIN_MASK[0]!) === 0 && (held[1]! & PLAIN_MASK[1]!) === 0) {
    if ((held[2]! & PLAIN_MASK[2]!) === 0 && (held[3]! & PLAIN_MASK[3]!) === 0) return true;
  }
  for (const mark of PLAIN_BREAKERS) if (text.includes(mark)) return false;
  return true;
}

const PLAIN_BREAKERS = ['%', '+', '\\', '/*', ' ', '\t', '\u00c0', '\u00c1', '\u00e0'] as const;

/**
 * A set of characters as four 32-bit words: one bit per ASCII character, and bit 127 for every
 * other character (DEL among them). A needle can only occur in a text that holds each of its
 * characters, so comparing sets rules most needles out without searching for them.
 */
type CharSet = Uint32Array;

function setOf(text: string, into: CharSet): CharSet {
  into.fill(0);
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    const bit = Math.min(ch, 127);
    into[bit >>> 5]! |= 1 << (bit & 31);
  }
  return into;
}

/** The characters of a text, in a buffer reused by the next call. */
const textChars = new Uint32Array(4);
function charsOf(text: string): CharSet {
  return setOf(text, textChars);
}

/** Whether `held` has every character of `needed` (the needle at `at` of a packed list). */
function holds(held: CharSet, needed: Uint32Array, at: number): boolean {
  return (
    (needed[at]! & ~held[0]!) === 0 &&
    (needed[at + 1]! & ~held[1]!) === 0 &&
    (needed[at + 2]! & ~held[2]!) === 0 &&
    (needed[at + 3]! & ~held[3]!) === 0
  );
}

/** Characters a breaker of {@link plain} needs: one of them is in every breaker. */
const PLAIN_MASK = setOf('%+\\* \t\u0080', new Uint32Array(4));

/**
 * Fixed strings searched for in many texts, with the characters each one needs: a text's
 * characters are taken once ({@link NeedleList.charsOf}), and only the needles whose characters
 * it all holds are searched for.
 */
export class NeedleList {
  readonly needles: readonly string[];
  readonly #needed: Uint32Array;

  constructor(needles: readonly string[]) {
    this.needles = [...needles];
    this.#needed = new Uint32Array(4 * needles.length);
    this.needles.forEach((needle, i) => {
      setOf(needle, this.#needed.subarray(4 * i, 4 * i + 4));
    });
  }

  /** The characters of `text`, for the methods below; valid until the next call of any list. */
  static charsOf(text: string): CharSet {
    return charsOf(text);
  }

  /** How many of the needles occur in `text` (holding `held`), each counted once. */
  countAny(text: string, held: CharSet): number {
    const needed = this.#needed;
    const { needles } = this;
    let count = 0;
    for (let i = 0; i < needles.length; i++) {
      if (holds(held, needed, 4 * i) && text.includes(needles[i]!)) count++;
    }
    return count;
  }

  /** Whether `test` holds for a needle whose characters `held` all has. */
  some(held: CharSet, test: (needle: string) => boolean): boolean {
    const needed = this.#needed;
    const { needles } = this;
    for (let i = 0; i < needles.length; i++) {
      if (holds(held, needed, 4 * i) && test(needles[i]!)) return true;
    }
    return false;
  }
}

/**
 * The text the detectors scan: at most {@link MAX_SCAN} characters of `raw`, percent-decoded
 * twice (a double-encoded `%252e%252e%252f` is still `../`), folded and lower-cased.
 */
export function scanText(raw: string | undefined): string {
  if (raw === undefined || raw.length === 0) return '';
  const bounded = raw.length > MAX_SCAN ? raw.slice(0, MAX_SCAN) : raw;
  if (plain(bounded)) return bounded.toLowerCase();
  return fold(percentDecode(percentDecode(bounded)));
}

/** The part of a scanned target before its query string. */
export function pathPart(scanned: string): string {
  const q = scanned.indexOf('?');
  return q === -1 ? scanned : scanned.slice(0, q);
}

/** Whether `text` contains any of `needles` (each a fixed string: a linear scan per needle). */
export function containsAny(text: string, needles: readonly string[]): string | undefined {
  for (const needle of needles) if (text.includes(needle)) return needle;
  return undefined;
}
