import type { DomainStats } from '../enrich/domain.js';
import type { DispatcherStats } from '../pipeline/dispatcher.js';
import type { EnrichmentStats } from '../pipeline/enrich-stage.js';
import type { DropCounts, DropReason, StoreStats } from '../pipeline/store-writer.js';

/**
 * The worker's counters in shared memory, so that `stats()` on the serving thread stays a
 * synchronous read. The worker writes a whole snapshot under a sequence lock (the sequence is odd
 * while it writes); a reader retries until it has read one snapshot whole, so the invariant
 * `accepted = written + dropped + buffered` holds within what it reads. Counters are doubles:
 * exact up to 2^53, where 32-bit integers would wrap after two billion requests.
 */

/** Every drop reason, in slot order; the `Record` makes a new reason a compile error here. */
const REASONS: Record<DropReason, number> = {
  bufferFull: 0,
  storeError: 1,
  shutdown: 2,
  closed: 3,
  invalid: 4,
  workerCrash: 5,
  expired: 6,
  erased: 7,
};
export const DROP_REASONS = Object.keys(REASONS) as DropReason[];

const DOMAIN_FIELDS = [
  'lookups',
  'cacheHits',
  'found',
  'notFound',
  'timeouts',
  'busy',
  'inFlight',
] as const satisfies readonly (keyof DomainStats)[];

/** Slots before the stores': see {@link SharedCounters.write}. */
const HEAD = 12 + DOMAIN_FIELDS.length;
/** Per store: written, buffered, failures, timeouts, spilled (-1: no spill), recovered, drops. */
const PER_STORE = 6 + DROP_REASONS.length;

/** One consistent read of the worker's counters. */
export interface WorkerSnapshot {
  /** Requests the worker has decoded from batches. */
  ingested: number;
  dispatcher: DispatcherStats;
  enrichment: EnrichmentStats;
}

/** Bytes of shared memory for a logger with this many stores. */
export function sharedStatsBytes(stores: number): number {
  return 8 + 8 * (HEAD + PER_STORE * stores);
}

/** The shared counters of one worker: written by the worker, read by the serving thread. */
export class SharedCounters {
  readonly #seq: Int32Array;
  readonly #slots: Float64Array;
  readonly #stores: number;
  #last: WorkerSnapshot | undefined;

  constructor(buffer: SharedArrayBuffer, stores: number) {
    this.#seq = new Int32Array(buffer, 0, 1);
    this.#slots = new Float64Array(buffer, 8, HEAD + PER_STORE * stores);
    this.#stores = stores;
  }

  /** Worker side: publish a snapshot. */
  write(ingested: number, d: DispatcherStats, e: EnrichmentStats): void {
    const s = this.#slots;
    Atomics.add(this.#seq, 0, 1);
    s[0] = ingested;
    s[1] = d.accepted;
    s[2] = d.buffered;
    s[3] = d.invalid;
    s[4] = e.pending;
    s[5] = e.skippedBots;
    s[6] = e.overflow;
    s[7] = e.company.lookups;
    s[8] = e.company.found;
    s[9] = e.company.timeouts;
    s[10] = e.company.failures;
    s[11] = e.domain === undefined ? 0 : 1;
    DOMAIN_FIELDS.forEach((field, i) => {
      s[12 + i] = e.domain?.[field] ?? 0;
    });
    for (let i = 0; i < this.#stores; i++) {
      const store = d.stores[i];
      const base = HEAD + i * PER_STORE;
      s[base] = store?.written ?? 0;
      s[base + 1] = store?.buffered ?? 0;
      s[base + 2] = store?.failures ?? 0;
      s[base + 3] = store?.timeouts ?? 0;
      s[base + 4] = store?.spilled ?? -1;
      s[base + 5] = store?.recovered ?? 0;
      DROP_REASONS.forEach((reason, r) => {
        s[base + 6 + r] = store?.dropped[reason] ?? 0;
      });
    }
    Atomics.add(this.#seq, 0, 1);
  }

  /**
   * Serving-thread side: the latest whole snapshot. If the worker is writing at every try (it
   * writes a few dozen numbers, so this is rare and short), the previous whole one is returned.
   */
  read(names: readonly string[]): WorkerSnapshot {
    for (let attempt = 0; attempt < 100; attempt++) {
      const before = Atomics.load(this.#seq, 0);
      if (before % 2 === 1) continue;
      const snapshot = this.#decode(names);
      if (Atomics.load(this.#seq, 0) === before) {
        this.#last = snapshot;
        return snapshot;
      }
    }
    return this.#last ?? this.#decode(names);
  }

  #decode(names: readonly string[]): WorkerSnapshot {
    const s = this.#slots;
    const enrichment: EnrichmentStats = {
      pending: s[4]!,
      skippedBots: s[5]!,
      overflow: s[6]!,
      company: { lookups: s[7]!, found: s[8]!, timeouts: s[9]!, failures: s[10]! },
    };
    if (s[11] === 1) {
      const domain = {} as DomainStats;
      DOMAIN_FIELDS.forEach((field, i) => {
        domain[field] = s[12 + i]!;
      });
      enrichment.domain = domain;
    }
    const accepted = s[1]!;
    return {
      ingested: s[0]!,
      dispatcher: {
        accepted,
        buffered: s[2]!,
        invalid: s[3]!,
        stores: names.map((name, i) => {
          const base = HEAD + i * PER_STORE;
          const dropped = {} as DropCounts;
          DROP_REASONS.forEach((reason, r) => {
            dropped[reason] = s[base + 6 + r]!;
          });
          const recovered = s[base + 5]!;
          const store: StoreStats = {
            name,
            accepted: accepted + recovered,
            written: s[base]!,
            buffered: s[base + 1]!,
            dropped,
            failures: s[base + 2]!,
            timeouts: s[base + 3]!,
          };
          if (s[base + 4]! >= 0) {
            store.spilled = s[base + 4]!;
            store.recovered = recovered;
          }
          return store;
        }),
      },
      enrichment,
    };
  }
}
