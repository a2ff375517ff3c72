import type { AccessRecord, Category } from '../record.js';

/** A value or a promise of it: every store method may answer either way. */
export type MaybePromise<T> = T | Promise<T>;

/** Whose records: a visitor id (the analytics cookie's id) or an e-mail given as optional data. */
export type Subject = { visitorId: string } | { email: string };

export interface ReadQuery {
  subject?: Subject;
  /** Inclusive lower bound on `time`. */
  from?: Date;
  /** Exclusive upper bound on `time`. */
  to?: Date;
  /** At most this many records, oldest first. */
  limit?: number;
}

export interface PurgeResult {
  /** How many records lost each category. */
  removed: Partial<Record<Category, number>>;
  /** How many whole records were deleted. */
  deleted: number;
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
  /** Apply retention at `now`: drop expired categories, then records left empty; skip held ones. */
  purge?(now: Date): MaybePromise<PurgeResult>;
  /** Iterate records, oldest first. */
  read?(query: ReadQuery): AsyncIterable<AccessRecord> | Iterable<AccessRecord>;
  /** Delete every record of a subject that is not under hold; returns how many were deleted. */
  erase?(subject: Subject): MaybePromise<number>;
  /** Connect or create the schema; awaited before the first write. */
  init?(): MaybePromise<void>;
  /** Release resources. */
  close?(): MaybePromise<void>;
}

/** The display name of a store, for stats and messages. */
export function storeName(store: Store): string {
  return store.name ?? store.constructor?.name ?? 'store';
}
