import type { AccessRecord, Category } from '../record.js';
import type { ConsentEvent, ConsentQuery } from './consent-events.js';

/** A value or a promise of it: every store method may answer either way. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Whose records: a visitor id (the analytics cookie's id), an e-mail given as optional data, or a
 * client address as the record keeps it (`client.ip`, canonical form: only meaningful where the
 * policy keeps full addresses, which the logger and the command line check before asking a store).
 */
export type Subject = { visitorId: string } | { email: string } | { ip: string };

export interface ReadQuery {
  subject?: Subject;
  /** Inclusive lower bound on `time`. */
  from?: Date;
  /** Exclusive upper bound on `time`. */
  to?: Date;
  /** At most this many records, oldest first. */
  limit?: number;
}

/** What a legal hold covers: every record matching all the given fields. */
export interface HoldScope {
  /** Inclusive lower bound on `time`. */
  from?: string;
  /** Exclusive upper bound on `time`. */
  to?: string;
  subject?: Subject;
  /** Record ids. */
  ids?: readonly string[];
}

/**
 * A legal hold: while it exists, the records in its scope are neither purged nor erased. Holds are
 * persisted by the store that keeps the records, so a restart does not release them.
 */
export interface Hold {
  /** Unique id, chosen by the caller (e.g. a case number or a UUID). */
  id: string;
  reason: string;
  scope: HoldScope;
  /** ISO 8601 time it was placed. */
  createdAt: string;
  /** ISO 8601 time by which someone must decide to extend or release it; past it, a warning. */
  reviewAt: string;
}

/** What an evidence export handed over: the incident and the records it selected. */
export interface DisclosureScope {
  /** The reason code or the hold id the export was asked for. */
  incident: string;
  /** Whether `incident` named a hold or a reason code. */
  kind: 'hold' | 'reason';
  /** Inclusive lower bound on `time`, when the export was narrowed by time. */
  from?: string;
  /** Exclusive upper bound on `time`, when the export was narrowed by time. */
  to?: string;
  /** The ids of the records in the bundle. */
  ids: string[];
}

/**
 * An entry of the disclosure register: one evidence bundle handed to someone outside the
 * controller. The register is the accountability record of who received what, when and why; it
 * holds no visitor's data (record ids, not records), so neither erasure nor a visitor's export
 * touches it, and no method of a store removes an entry.
 */
export interface Disclosure {
  /** Unique id of the entry. */
  id: string;
  /** ISO 8601 time of the export. */
  at: string;
  /** Who made the export. */
  by: string;
  /** To whom the bundle is handed. */
  recipient: string;
  /** The legal basis of the disclosure (a court order, Art. 6(1)(c) GDPR, ...). */
  basis: string;
  scope: DisclosureScope;
  /** SHA-256 (hex) of the bundle's `MANIFEST.sha256`, which lists the SHA-256 of every other file. */
  manifest: string;
}

/** What an erasure did: `held` records matched the subject but stay, under a legal hold. */
export interface EraseResult {
  erased: number;
  held: number;
}

export interface PurgeResult {
  /** How many records lost each category. */
  removed: Partial<Record<Category, number>>;
  /** How many whole records were deleted. */
  deleted: number;
  /** How many consent events reached their retention and were deleted; absent when none. */
  consents?: number;
}

/**
 * A storage adapter. Only `write` is required; capabilities are derived from which methods exist.
 * Every method may return a value or a promise.
 */
export interface Store {
  /** A short name for stats and diagnostics; defaults to the constructor's name. */
  readonly name?: string;
  /** Append a batch. Must be idempotent by record `id`: the dispatcher may retry a batch. */
  write(records: readonly AccessRecord[]): MaybePromise<void>;
  /**
   * Apply retention at `now`: drop expired categories, then records left empty; skip held ones.
   * A store with a consent ledger also deletes the events past their `expires` that no hold covers.
   */
  purge?(now: Date): MaybePromise<PurgeResult>;
  /** Iterate records, oldest first. */
  read?(query: ReadQuery): AsyncIterable<AccessRecord> | Iterable<AccessRecord>;
  /**
   * Delete every record of a subject that is not under hold. Returns how many were deleted, or an
   * {@link EraseResult} that also says how many were kept under hold.
   */
  erase?(subject: Subject): MaybePromise<number | EraseResult>;
  /**
   * For a store that cannot erase (an append-only log): record that an erasure of `subject` was
   * asked at `at`, so that `read` never serves the subject's records written up to then. The
   * records themselves stay until the log is rotated or deleted.
   */
  suppress?(subject: Subject, at: Date): MaybePromise<void>;
  /**
   * Place or extend a hold (same id: its reason, scope and review date are replaced). Returns how
   * many stored records it covers now. Records written later that fall in the scope are held too.
   */
  hold?(hold: Hold): MaybePromise<number>;
  /** Release a hold; returns whether it existed. Records stay held while another hold covers them. */
  release?(holdId: string): MaybePromise<boolean>;
  /** The holds in force. */
  holds?(): MaybePromise<Hold[]>;
  /** Enter an evidence export in the disclosure register. Entries are never changed or removed. */
  disclose?(entry: Disclosure): MaybePromise<void>;
  /** The disclosure register, oldest entry first. */
  disclosures?(): MaybePromise<Disclosure[]>;
  /**
   * Keep consent events (the consent ledger), idempotent by event id. Called after `write` with
   * the events that rode with that batch, and retried with it.
   */
  writeConsents?(events: readonly ConsentEvent[]): MaybePromise<void>;
  /** Iterate consent events, oldest first. */
  readConsents?(query: ConsentQuery): AsyncIterable<ConsentEvent> | Iterable<ConsentEvent>;
  /** Connect or create the schema; awaited before the first write. */
  init?(): MaybePromise<void>;
  /** Release resources. */
  close?(): MaybePromise<void>;
}

/** The display name of a store, for stats and messages. */
export function storeName(store: Store): string {
  return store.name ?? store.constructor?.name ?? 'store';
}
