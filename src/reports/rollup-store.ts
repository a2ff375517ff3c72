import { randomUUID } from 'node:crypto';
import type { MaybePromise } from '../stores/store.js';
import { type Bucket, emptyCounts, type Interval, mergeCounts } from './bucket.js';
import type { RollupFact } from './facts.js';
import { HyperLogLog } from './hyperloglog.js';

/** Proof of being the one rollup runner, until `until` (epoch ms). */
export interface RollupLease {
  token: string;
  until: number;
}

/** What one run changes, applied by {@link RollupStore.commit} all at once or not at all. */
export interface RollupChange {
  /**
   * Hour buckets starting at or after this ISO time are replaced by `hours`. Without it, `hours`
   * replace the stored buckets of the same host and start, and no other bucket changes.
   */
  hoursFrom?: string;
  hours: Bucket[];
  /** Day buckets starting at or after this ISO time are replaced by `days`; as `hoursFrom`. */
  daysFrom?: string;
  days: Bucket[];
  /** Records before this ISO time are final in the buckets: the new watermark. */
  watermark: string;
  /**
   * The records with `from <= time < to` must still be those the run read (the fingerprint
   * {@link RollupStore.scan} returned), else the commit throws {@link RollupRaceError} and changes
   * nothing: a record written meanwhile, behind the new watermark, would otherwise be missed.
   */
  check?: { from: string; to: string; fingerprint: string };
  /** Queued late records now counted (the ids {@link RollupStore.late} returned): unqueue them. */
  lateDone?: string[];
}

/** The records a scan reads: `from <= time < to` (`to` absent: every later one). */
export interface ScanRange {
  from: string;
  to?: string;
  /** The end of the range the fingerprint covers (the watermark the run will commit). */
  checkTo: string;
}

/**
 * Where rollups are kept: buckets, the watermark and a lease so one runner works at a time across
 * processes. A crash between `acquire` and `commit` changes nothing; the lease then times out.
 */
export interface RollupStore {
  readonly name?: string;
  init?(): MaybePromise<void>;
  close?(): MaybePromise<void>;
  /** Take the lease for `ttlMs`, or undefined while another runner holds it. */
  acquire(ttlMs: number): MaybePromise<RollupLease | undefined>;
  /** Give the lease back early. */
  release(lease: RollupLease): MaybePromise<void>;
  /** The ISO time before which every record is rolled up, or undefined before the first run. */
  watermark(): MaybePromise<string | undefined>;
  /** Buckets of `interval` with `from <= start < to`, oldest first; one host when given. */
  buckets(interval: Interval, from: string, to: string, host?: string): MaybePromise<Bucket[]>;
  /** Apply a run's change in one transaction; throws when `lease` is no longer held. */
  commit(lease: RollupLease, change: RollupChange): MaybePromise<void>;
  /** Delete buckets that start before `before` (aggregate retention); returns how many. */
  purge(before: Date): MaybePromise<number>;
  /**
   * A store that keeps rollups beside the records reads them itself, which is much faster than a
   * record store's `read`: hand the facts of `range` to `into`, oldest first, and return a
   * fingerprint of the records in `from <= time < checkTo`, taken in the same snapshot.
   */
  scan?(
    lease: RollupLease,
    range: ScanRange,
    into: (fact: RollupFact) => void,
  ): MaybePromise<string>;
  /**
   * Records written after the watermark had passed their time wait in a queue (the store puts them
   * there in the transaction that writes them). Hand up to `limit` of them to `into`, oldest first,
   * and return their queue ids (including those of records erased since), for `lateDone`.
   */
  late?(
    lease: RollupLease,
    limit: number,
    into: (fact: RollupFact) => void,
  ): MaybePromise<string[]>;
}

/** Thrown by `commit` when the lease ran out and another runner may have taken over. */
export class LeaseLostError extends Error {
  constructor() {
    super('the rollup lease ran out before the run committed; nothing was changed');
    this.name = 'LeaseLostError';
  }
}

/** Thrown by `commit` when records of a checked range changed since the run read them. */
export class RollupRaceError extends Error {
  constructor() {
    super('records behind the new rollup watermark changed during the run; nothing was changed');
    this.name = 'RollupRaceError';
  }
}

/** A copy that shares nothing with `bucket`, so stored buckets cannot be changed from outside. */
export function cloneBucket(bucket: Bucket): Bucket {
  return {
    host: bucket.host,
    interval: bucket.interval,
    start: bucket.start,
    counts: mergeCounts(emptyCounts(), bucket.counts),
    visitors: new HyperLogLog(bucket.visitors.registers.slice()),
  };
}

/** Rollups in memory, for {@link MemoryStore} users and tests; gone with the process. */
export class MemoryRollups implements RollupStore {
  readonly name = 'MemoryRollups';
  #buckets: Bucket[] = [];
  #watermark: string | undefined;
  #lease: RollupLease | undefined;

  acquire(ttlMs: number): RollupLease | undefined {
    const now = Date.now();
    if (this.#lease !== undefined && this.#lease.until > now) return undefined;
    this.#lease = { token: randomUUID(), until: now + ttlMs };
    return { ...this.#lease };
  }

  release(lease: RollupLease): void {
    if (this.#lease?.token === lease.token) this.#lease = undefined;
  }

  watermark(): string | undefined {
    return this.#watermark;
  }

  buckets(interval: Interval, from: string, to: string, host?: string): Bucket[] {
    return this.#buckets
      .filter(
        (b) =>
          b.interval === interval &&
          b.start >= from &&
          b.start < to &&
          (host === undefined || b.host === host),
      )
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
      .map(cloneBucket);
  }

  commit(lease: RollupLease, change: RollupChange): void {
    if (this.#lease?.token !== lease.token || this.#lease.until <= Date.now()) {
      throw new LeaseLostError();
    }
    const replaced = new Set(
      [...change.hours, ...change.days].map((b) => `${b.interval}\n${b.start}\n${b.host}`),
    );
    const from = { hour: change.hoursFrom, day: change.daysFrom };
    this.#buckets = this.#buckets.filter((b) => {
      const cut = from[b.interval];
      if (cut !== undefined) return b.start < cut;
      return !replaced.has(`${b.interval}\n${b.start}\n${b.host}`);
    });
    this.#buckets.push(...change.hours.map(cloneBucket), ...change.days.map(cloneBucket));
    this.#watermark = change.watermark;
  }

  purge(before: Date): number {
    const cut = before.toISOString();
    const kept = this.#buckets.filter((b) => b.start >= cut);
    const removed = this.#buckets.length - kept.length;
    this.#buckets = kept;
    return removed;
  }
}
