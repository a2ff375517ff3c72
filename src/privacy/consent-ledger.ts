import { createHash } from 'node:crypto';
import { uuidv7 } from '../ids.js';
import type { AccessRecord } from '../record.js';
import type { Captured } from '../request/capture.js';
import type { ConsentEvent, ConsentSource } from '../stores/consent-events.js';

/**
 * A change of choice as the request path notes it: a few references, nothing computed. The
 * background stage turns it into a {@link ConsentEvent} with the request's record.
 */
export interface ConsentNote {
  choice: 'in' | 'out';
  previous?: 'in' | 'out' | undefined;
  source: ConsentSource;
  signal?: 'gpc' | 'dnt' | undefined;
  /** The visitor id the browser had (withdrawal) or was given (consent), if any. */
  visitorId?: string | undefined;
  /** SHA-256 (hex) of the notice text in force. */
  notice: string;
}

/** SHA-256 (hex) of a notice text. */
export function noticeHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The ledger event of a note, timed as the request that carried it. */
export function consentEventOf(
  note: ConsentNote,
  record: AccessRecord,
  retentionMs: number,
): ConsentEvent {
  const ms = Date.parse(record.time);
  const event: ConsentEvent = {
    v: 1,
    id: uuidv7(ms),
    time: record.time,
    choice: note.choice,
    source: note.source,
    policy: record.policy,
    notice: note.notice,
    expires: new Date(ms + retentionMs).toISOString(),
  };
  if (note.visitorId !== undefined) event.visitorId = note.visitorId;
  if (note.previous !== undefined) event.previous = note.previous;
  if (note.signal !== undefined) event.signal = note.signal;
  return event;
}

/**
 * The hash of the notice in force for one policy: the one the privacy router serves, once a router
 * exists; before that, the policy's notice with the router's defaults. Rendered and hashed the
 * first time a change of choice needs it, then kept.
 */
export class NoticeInForce {
  #render: () => string;
  #hash: string | undefined;

  constructor(render: () => string) {
    this.#render = render;
  }

  get hash(): string {
    this.#hash ??= noticeHash(this.#render());
    return this.#hash;
  }

  /** The router now serves this text. */
  serve(render: () => string): void {
    this.#render = render;
    this.#hash = undefined;
  }
}

/** The dispatcher's `consentOf`: the event a captured request carries, under its policy's retention. */
export function consentOfCaptured(
  retentionOf: (c: Captured) => number,
): (c: Captured, record: AccessRecord) => ConsentEvent | undefined {
  return (c, record) =>
    c.consent === undefined ? undefined : consentEventOf(c.consent, record, retentionOf(c));
}
