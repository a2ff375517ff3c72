/**
 * Retention and matching rules that every built-in store shares, so that the memory store, the
 * SQLite store and any plugin that reuses these helpers agree record for record.
 */

import { normalizeIp } from '../minimize/ip.js';
import { type AccessRecord, CATEGORIES, type Category } from '../record.js';
import type { PurgeResult, ReadQuery, Subject } from './store.js';

/** The categories that retention strips from a record that lives on; `essential` deletes it. */
export const STRIPPABLE_CATEGORIES = CATEGORIES.filter(
  (category): category is Exclude<Category, 'essential'> => category !== 'essential',
);

/** What {@link applyRetention} leaves of a record. */
export interface RetentionOutcome {
  /**
   * The record as it is kept: the input itself when nothing expired (or it is held), a new object
   * when categories were dropped, `undefined` when the record is to be deleted.
   */
  record: AccessRecord | undefined;
  /**
   * The non-essential categories whose retention ended, in {@link CATEGORIES} order. Also listed
   * when the record is deleted, so that per-category counts agree with stores that strip
   * categories before they delete records.
   */
  removed: Exclude<Category, 'essential'>[];
}

/**
 * Whether an expiry time (ISO 8601) has passed at `nowMs` (milliseconds since the epoch). An
 * expiry equal to now has passed. An unparseable expiry counts as passed: keeping personal data
 * forever because of a malformed date is the wrong way to fail.
 */
export function isExpired(expiry: string, nowMs: number): boolean {
  const at = Date.parse(expiry);
  return Number.isNaN(at) || at <= nowMs;
}

/**
 * Apply retention to one record at `now`, without mutating it.
 *
 * Each category whose `expires[category]` is at or before `now` is dropped together with its
 * `expires` key. When `essential` has expired the whole record goes (`record: undefined`): policy
 * validation guarantees no other category outlives it, and security records carry their own longer
 * expiries. A record with `security.hold === true` (legal hold) is returned unchanged. The new
 * record shares the nested objects it keeps with the input.
 */
export function applyRetention(record: AccessRecord, now: Date): RetentionOutcome {
  if (record.security?.hold === true) return { record, removed: [] };
  const nowMs = now.getTime();
  const removed: Exclude<Category, 'essential'>[] = [];
  for (const category of STRIPPABLE_CATEGORIES) {
    const expiry = record.expires[category];
    if (expiry !== undefined && isExpired(expiry, nowMs)) removed.push(category);
  }
  const essentialExpiry = record.expires.essential;
  if (essentialExpiry !== undefined && isExpired(essentialExpiry, nowMs)) {
    return { record: undefined, removed };
  }
  if (removed.length === 0) return { record, removed };
  const next: AccessRecord = { ...record, expires: { ...record.expires } };
  for (const category of removed) {
    delete next[category];
    delete next.expires[category];
  }
  return { record: next, removed };
}

/**
 * The form under which e-mail addresses are compared and indexed: trimmed and lower-cased. An
 * empty result means "no address" and matches nothing.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Whether a record belongs to a subject. A visitor id must equal `nonessential.visitorId` exactly
 * (it is a random token, case matters); an e-mail matches `optional.email` after
 * {@link normalizeEmail} on both sides. An empty id or address matches nothing, so that a blank
 * erasure request can never reach records that merely lack the field.
 */
export function matchesSubject(record: AccessRecord, subject: Subject): boolean {
  const key = subjectValue(subject);
  if (key.value === '') return false;
  switch (key.kind) {
    case 'visitorId':
      return record.nonessential?.visitorId === key.value;
    case 'email': {
      const stored = record.optional?.email;
      return stored !== undefined && normalizeEmail(stored) === key.value;
    }
    case 'ip':
      return record.client?.ip === key.value;
  }
}

/**
 * The canonical text of a client address, as records keep it (`::ffff:203.0.113.7` is
 * `203.0.113.7`, IPv6 compressed lower case), or `''` when it is not an address.
 */
export function normalizeAddress(address: string): string {
  return normalizeIp(address.trim())?.address ?? '';
}

/**
 * The kind of a subject and its value in the form stores compare: e-mail normalised, address
 * canonical. An empty value matches nothing.
 */
export function subjectValue(subject: Subject): {
  kind: 'visitorId' | 'email' | 'ip';
  value: string;
} {
  if ('visitorId' in subject) return { kind: 'visitorId', value: subject.visitorId };
  if ('email' in subject) return { kind: 'email', value: normalizeEmail(subject.email) };
  return { kind: 'ip', value: normalizeAddress(subject.ip) };
}

/**
 * Whether a record passes a {@link ReadQuery}'s filters: its subject, `from` (inclusive) and `to`
 * (exclusive) on `time`. `limit` is the caller's job. A record whose time does not parse fails any
 * time bound.
 */
export function matchesQuery(record: AccessRecord, query: ReadQuery): boolean {
  if (query.subject !== undefined && !matchesSubject(record, query.subject)) return false;
  if (query.from === undefined && query.to === undefined) return true;
  const time = Date.parse(record.time);
  if (query.from !== undefined && !(time >= query.from.getTime())) return false;
  if (query.to !== undefined && !(time < query.to.getTime())) return false;
  return true;
}

/**
 * A {@link PurgeResult} with every strippable category at zero, so that a purge that found nothing
 * still reports each category explicitly.
 */
export function emptyPurgeResult(): PurgeResult {
  const removed: PurgeResult['removed'] = {};
  for (const category of STRIPPABLE_CATEGORIES) removed[category] = 0;
  return { removed, deleted: 0 };
}

/** Add one record's retention outcome to a running {@link PurgeResult} (mutates `result`). */
export function countOutcome(result: PurgeResult, outcome: RetentionOutcome): void {
  for (const category of outcome.removed) {
    result.removed[category] = (result.removed[category] ?? 0) + 1;
  }
  if (outcome.record === undefined) result.deleted++;
}

/** Compare two records by `time`, then `id`: the order in which stores return them. */
export function compareRecords(a: AccessRecord, b: AccessRecord): number {
  const byTime = timeValue(a.time) - timeValue(b.time);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/** Milliseconds of an ISO time; unparseable times sort first rather than poisoning the sort. */
function timeValue(time: string): number {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}
