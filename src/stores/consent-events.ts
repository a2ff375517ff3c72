/**
 * The consent ledger: one event per change of a visitor's choice, kept by the stores beside the
 * records (a table or stream of their own, with their own retention, under the same legal holds),
 * so that a controller can show when consent was given or withdrawn, how, and under which policy
 * and notice. These are the shared rules every built-in store follows.
 */
import type { Hold, HoldScope } from './store.js';

/** Who or what changed the choice: the privacy routes' buttons, the app's consent function, or a browser signal. */
export type ConsentSource = 'button' | 'app' | 'signal';

/** One change of choice. Stores are idempotent by `id`. */
export interface ConsentEvent {
  v: 1;
  /** Time-ordered unique id (UUIDv7). */
  id: string;
  /** ISO 8601 UTC time of the request that carried the change. */
  time: string;
  /** The pseudonymous subject: the visitor id of the browser, when it had or was given one. */
  visitorId?: string;
  /** `in`: consent given; `out`: consent withdrawn or refused (an objection). */
  choice: 'in' | 'out';
  /** The choice the browser held before, when it held one the current policy honours. */
  previous?: 'in' | 'out';
  source: ConsentSource;
  /** With `source: 'signal'`: which one. */
  signal?: 'gpc' | 'dnt';
  /** `name@version` of the policy in force. */
  policy: string;
  /** SHA-256 (hex) of the notice text in force, as served at the notice route (Markdown). */
  notice: string;
  /** ISO 8601 UTC time after which the event is purged, unless held. */
  expires: string;
}

/** Which events to read. */
export interface ConsentQuery {
  visitorId?: string;
  /** Inclusive lower bound on `time`. */
  from?: Date;
  /** Exclusive upper bound on `time`. */
  to?: Date;
  /** At most this many, oldest first. */
  limit?: number;
}

export function matchesConsentQuery(event: ConsentEvent, query: ConsentQuery): boolean {
  if (query.visitorId !== undefined && event.visitorId !== query.visitorId) return false;
  const time = Date.parse(event.time);
  if (query.from !== undefined && !(time >= query.from.getTime())) return false;
  if (query.to !== undefined && !(time < query.to.getTime())) return false;
  return true;
}

/**
 * Whether a hold's scope covers an event, by the rules records follow: every given field must
 * match. A subject given by e-mail or address never names an event (events carry neither); `ids`
 * may list event ids.
 */
export function consentInHoldScope(event: ConsentEvent, scope: HoldScope): boolean {
  if (scope.ids !== undefined && !scope.ids.includes(event.id)) return false;
  if (scope.subject !== undefined) {
    if (!('visitorId' in scope.subject) || scope.subject.visitorId !== event.visitorId) {
      return false;
    }
  }
  const time = Date.parse(event.time);
  if (scope.from !== undefined && !(time >= Date.parse(scope.from))) return false;
  if (scope.to !== undefined && !(time < Date.parse(scope.to))) return false;
  return true;
}

export function isConsentHeld(event: ConsentEvent, holds: Iterable<Hold>): boolean {
  for (const hold of holds) if (consentInHoldScope(event, hold.scope)) return true;
  return false;
}

/** Oldest first, by time then id. */
export function compareConsentEvents(a: ConsentEvent, b: ConsentEvent): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whether a store keeps the consent ledger: it takes consent events (`writeConsents`). */
export function keepsConsentLedger(store: { writeConsents?: unknown }): boolean {
  return typeof store.writeConsents === 'function';
}
