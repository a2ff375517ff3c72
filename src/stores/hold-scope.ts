/**
 * Legal-hold rules that every built-in store shares: which records a hold's scope covers, and what
 * a well-formed hold is. Stores that keep records elsewhere (SQL, streams) translate the same rules
 * into their own queries; these functions are the reference they must agree with.
 */
import type { AccessRecord } from '../record.js';
import { matchesSubject, normalizeAddress, normalizeEmail } from './retention.js';
import type { Hold, HoldScope, Subject } from './store.js';

const SCOPE_KEYS = new Set(['from', 'to', 'subject', 'ids']);
const MAX_ID_LENGTH = 200;
const MAX_REASON_LENGTH = 2000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Whether a record falls in a hold's scope: it must match every field the scope gives. `from` is
 * inclusive and `to` exclusive on the record's `time`; `subject` follows {@link matchesSubject};
 * `ids` lists record ids. An empty scope covers every record: a hold on the whole log is a real
 * request, and keeping too much for a while is the safe way to be wrong.
 */
export function matchesHoldScope(record: AccessRecord, scope: HoldScope): boolean {
  if (scope.ids !== undefined && !scope.ids.includes(record.id)) return false;
  if (scope.subject !== undefined && !matchesSubject(record, scope.subject)) return false;
  if (scope.from === undefined && scope.to === undefined) return true;
  const time = Date.parse(record.time);
  if (scope.from !== undefined && !(time >= Date.parse(scope.from))) return false;
  if (scope.to !== undefined && !(time < Date.parse(scope.to))) return false;
  return true;
}

/** Whether a record is held: flagged as security evidence under hold, or in any hold's scope. */
export function isHeld(record: AccessRecord, holds: Iterable<Hold>): boolean {
  if (record.security?.hold === true) return true;
  for (const hold of holds) if (matchesHoldScope(record, hold.scope)) return true;
  return false;
}

/** Whether a hold's review date is at or before `now`. */
export function isReviewDue(hold: Hold, now: Date): boolean {
  return Date.parse(hold.reviewAt) <= now.getTime();
}

/**
 * Check a hold and return a copy in canonical form (times as `toISOString()`, e-mail normalised,
 * no foreign keys), so that every store persists and compares the same thing. Throws a TypeError
 * naming the bad field. An unknown scope key is refused rather than ignored: a misspelt `subjet`
 * would otherwise widen the hold to the whole log without anyone noticing.
 */
export function normalizeHold(hold: Hold): Hold {
  if (hold === null || typeof hold !== 'object') throw new TypeError('hold: must be an object');
  const id = requiredText(hold.id, 'hold.id', MAX_ID_LENGTH);
  const reason = requiredText(hold.reason, 'hold.reason', MAX_REASON_LENGTH);
  return {
    id,
    reason,
    scope: normalizeScope(hold.scope),
    createdAt: requiredTime(hold.createdAt, 'hold.createdAt'),
    reviewAt: requiredTime(hold.reviewAt, 'hold.reviewAt'),
  };
}

/** Check a scope and return it in canonical form; see {@link normalizeHold}. */
export function normalizeScope(scope: HoldScope): HoldScope {
  if (scope === null || typeof scope !== 'object' || Array.isArray(scope)) {
    throw new TypeError('hold.scope: must be an object such as { subject: { visitorId } }');
  }
  for (const key of Object.keys(scope)) {
    if (!SCOPE_KEYS.has(key)) {
      throw new TypeError(`hold.scope.${key}: unknown; a scope has from, to, subject and ids`);
    }
  }
  const out: HoldScope = {};
  if (scope.from !== undefined) out.from = requiredTime(scope.from, 'hold.scope.from');
  if (scope.to !== undefined) out.to = requiredTime(scope.to, 'hold.scope.to');
  if (out.from !== undefined && out.to !== undefined && out.from >= out.to) {
    throw new TypeError('hold.scope: from must be before to');
  }
  if (scope.subject !== undefined) out.subject = normalizeSubject(scope.subject);
  if (scope.ids !== undefined) {
    if (!Array.isArray(scope.ids)) throw new TypeError('hold.scope.ids: must be a list of ids');
    out.ids = [
      ...new Set(scope.ids.map((id) => requiredText(id, 'hold.scope.ids[]', MAX_ID_LENGTH))),
    ];
  }
  return out;
}

function normalizeSubject(subject: unknown): Subject {
  if (subject !== null && typeof subject === 'object') {
    const s = subject as Record<string, unknown>;
    const given = [s.visitorId, s.email, s.ip].filter((value) => value !== undefined).length;
    if (given === 1 && typeof s.visitorId === 'string' && s.visitorId !== '') {
      return { visitorId: s.visitorId };
    }
    if (given === 1 && typeof s.email === 'string') {
      const email = normalizeEmail(s.email);
      if (email !== '') return { email };
    }
    if (given === 1 && typeof s.ip === 'string') {
      const ip = normalizeAddress(s.ip);
      if (ip !== '') return { ip };
    }
  }
  throw new TypeError(
    'hold.scope.subject: must be { visitorId }, { email } or { ip } with a non-empty value',
  );
}

export function requiredText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`${field}: must be a non-empty string`);
  }
  if (value.length > max) throw new TypeError(`${field}: longer than ${max} characters`);
  if (CONTROL.test(value)) throw new TypeError(`${field}: must not contain control characters`);
  return value;
}

export function requiredTime(value: unknown, field: string): string {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new TypeError(`${field}: must be an ISO 8601 date or time`);
  return new Date(ms).toISOString();
}
