/**
 * The canonical ISO form `Date.prototype.toISOString` produces for years 0000 to 9999
 * (`2025-01-31T12:34:56.789Z`). Stores keep times and expiries in it so that SQL can compare them
 * as text: fixed-width UTC strings sort in time order.
 */

/** What each of the 24 positions holds: 0 a digit, else the one character code allowed there. */
const SHAPE = [...'0000-00-00T00:00:00.000Z'].map((ch) => (ch === '0' ? 0 : ch.charCodeAt(0)));

/**
 * Whether `text` is in canonical form. A character check, not a regular expression: a store checks
 * six times per row (the time and five expiries), and the expression's test cost about five times
 * as many instructions as this loop.
 */
export function isCanonicalIso(text: string): boolean {
  if (text.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const code = text.charCodeAt(i);
    const want = SHAPE[i]!;
    if (want === 0 ? code < 48 || code > 57 : code !== want) return false;
  }
  return true;
}

/** `text` in canonical form, or `undefined` when it does not parse as a time. */
export function canonicalTime(text: string): string | undefined {
  if (isCanonicalIso(text)) return text;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
