/**
 * The canonical ISO form `Date.prototype.toISOString` produces for years 0000 to 9999
 * (`2025-01-31T12:34:56.789Z`). Stores keep times and expiries in it so that SQL can compare them
 * as text: fixed-width UTC strings sort in time order. One definition for the SQLite and
 * PostgreSQL stores.
 */

const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Whether `text` is in canonical form. */
export function isCanonicalIso(text: string): boolean {
  return CANONICAL_ISO.test(text);
}

/** `text` in canonical form, or `undefined` when it does not parse as a time. */
export function canonicalTime(text: string): string | undefined {
  if (isCanonicalIso(text)) return text;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
