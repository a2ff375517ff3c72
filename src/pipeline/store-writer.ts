import type { DiagnosticLogger } from '../logger.js';
import type { AccessRecord } from '../record.js';
import type { ConsentEvent } from '../stores/consent-events.js';
import type { Store } from '../stores/store.js';
import { Fifo } from './fifo.js';
import {
  backoffDelay,
  callStore,
  describeError,
  type Failure,
  MAX_TIMER_MS,
  report,
} from './store-call.js';

/**
 * Why a record never reached a store. The set is fixed so that dashboards can rely on it:
 *
 * - `bufferFull`: the shared pending queue or this store's own queue was at `maxRecords` or
 *   `maxBytes` when the request completed.
 * - `storeError`: the batch failed its first attempt and every retry (`maxRetries`); a failed
 *   `init()` counts here too, since the batch could not be written.
 * - `shutdown`: still buffered when `close()` reached its deadline.
 * - `closed`: the request completed after this store stopped taking records: during `close()`,
 *   once it had written everything it held (or at the deadline), or after `close()`.
 * - `invalid`: `sizeOf` or `process` threw for that item (or `process` returned no object).
 * - `workerCrash`: in worker mode, the worker thread stopped (crashed, or was ended) while the
 *   record was on its way; the worker is restarted. Never counted in-process.
 *
 * Attempts that time out are not a reason of their own: they are failures, counted in
 * {@link StoreStats.timeouts}, and become `storeError` drops only when retries run out.
 */
export type DropReason =
  | 'bufferFull'
  | 'storeError'
  | 'shutdown'
  | 'closed'
  | 'invalid'
  | 'workerCrash';

/** Dropped records of one store, by {@link DropReason}. */
export type DropCounts = Record<DropReason, number>;

/**
 * Counters of one store. At every moment `accepted === written + (sum of dropped) + buffered`.
 */
export interface StoreStats {
  /** The store's name (`store.name`, else its constructor's name, suffixed `#2`... when repeated). */
  name: string;
  /** Every item pushed to the dispatcher, including those dropped on arrival. */
  accepted: number;
  /** Records the store confirmed (its `write` returned or resolved). */
  written: number;
  /** Items waiting for processing that this store will receive, plus its queued and in-flight records. */
  buffered: number;
  /** Records that will never reach this store, by reason. */
  dropped: DropCounts;
  /** Failed attempts (`init` or `write`), retried ones included. */
  failures: number;
  /** Of those failures, how many were attempts that did not settle within `writeTimeoutMs`. */
  timeouts: number;
  /** The message of the most recent failure; kept after recovery, for diagnosis. */
  lastError?: string;
}

/** A processed record on its way to the stores; `seq` is the push order, for `flush()`. */
export interface Outgoing {
  readonly record: AccessRecord;
  /** The captured item's estimated size in bytes, charged against `maxBytes` until written or dropped. */
  readonly size: number;
  readonly seq: number;
  /** A consent event noted on the same request; written with the batch by stores with a ledger. */
  readonly consent?: ConsentEvent;
}

/** The resolved limits a {@link StoreWriter} works with (all required, already validated). */
export interface WriterSettings {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly batchSize: number;
  readonly writeTimeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

function totalSize(entries: readonly Outgoing[]): number {
  let bytes = 0;
  for (const entry of entries) bytes += entry.size;
  return bytes;
}

/**
 * One store's queue and writer. Each store gets its own so that a slow or dead store only fills its
 * own queue: it never delays or drops records of another store. One batch is in flight at a time,
 * which keeps batches in order and lets records pile up into the next batch while a write runs.
 */
export class StoreWriter {
  /** Display name, unique within one dispatcher. */
  readonly name: string;
  private readonly store: Store;
  private readonly settings: WriterSettings;
  private readonly logger: DiagnosticLogger;
  private readonly onProgress: () => void;
  private readonly queue = new Fifo<Outgoing>();
  private inflight: readonly Outgoing[] = [];
  /** Items still in the dispatcher's pending queue that have a place reserved here. */
  private reserved = 0;
  /** Estimated bytes of reserved, queued and in-flight records. */
  private bytes = 0;
  private written = 0;
  private readonly dropped: DropCounts = {
    bufferFull: 0,
    storeError: 0,
    shutdown: 0,
    closed: 0,
    invalid: 0,
    workerCrash: 0,
  };
  private failures = 0;
  private timeouts = 0;
  private lastError: string | undefined;
  private initialized: boolean;
  /** Failed attempts since the last success; the first one is logged, the rest only counted. */
  private streak = 0;
  private streakDropped = 0;
  private pumping = false;
  /** False once this store takes no more records (closing, or stopped): later ones are `closed`. */
  private accepting = true;
  private stopped = false;
  private wake: (() => void) | undefined;

  /**
   * @param onProgress called whenever records leave this writer (written or dropped), so that
   *   `flush()` waiters can be checked.
   */
  constructor(
    store: Store,
    name: string,
    settings: WriterSettings,
    logger: DiagnosticLogger,
    onProgress: () => void,
  ) {
    this.store = store;
    this.name = name;
    this.settings = settings;
    this.logger = logger;
    this.onProgress = onProgress;
    this.initialized = typeof store.init !== 'function';
  }

  /** Records reserved, queued or in flight: what `buffered` reports. */
  get buffered(): number {
    return this.reserved + this.queue.length + this.inflight.length;
  }

  /** The push order of the oldest record queued or in flight here; `Infinity` when there is none. */
  oldestSeq(): number {
    return this.inflight[0]?.seq ?? this.queue.peek()?.seq ?? Number.POSITIVE_INFINITY;
  }

  /** Whether this store still takes new records. */
  get open(): boolean {
    return this.accepting;
  }

  /**
   * Reserve room for an item that is about to enter the pending queue. When this store takes no
   * more records, the item is counted `closed`; when it is at `maxRecords` or `maxBytes`,
   * `bufferFull`. Either way `false` is returned.
   */
  reserve(size: number): boolean {
    if (!this.accepting) {
      this.dropped.closed++;
      return false;
    }
    if (this.buffered >= this.settings.maxRecords || this.bytes + size > this.settings.maxBytes) {
      this.dropped.bufferFull++;
      return false;
    }
    this.reserved++;
    this.bytes += size;
    return true;
  }

  /** Turn a reservation into a queued record (or a `shutdown` drop when the writer has stopped). */
  offer(entry: Outgoing): void {
    this.reserved--;
    if (this.stopped) {
      this.bytes -= entry.size;
      this.dropped.shutdown++;
      return;
    }
    this.queue.push(entry);
  }

  /** Give up a reservation: the item will never become a record for this store. */
  release(size: number, reason: DropReason): void {
    this.reserved--;
    this.bytes -= size;
    this.dropped[reason]++;
  }

  /**
   * Count an item that was dropped before anything was reserved; when this store already takes no
   * more records, it would never have had it, so it counts as `closed` whatever the reason.
   */
  drop(reason: DropReason): void {
    this.dropped[this.accepting ? reason : 'closed']++;
  }

  /** Take no more records: what arrives from now on is counted `closed`. What is held stays. */
  closeIntake(): void {
    this.accepting = false;
  }

  /** Start writing if records are queued and no write is running. */
  kick(): void {
    if (this.pumping || this.stopped || this.queue.length === 0) return;
    this.pumping = true;
    this.pump().then(undefined, (err: unknown) => {
      // Only a bug in this file gets here. Count the batch as lost rather than leave flush() waiting
      // on it forever, and keep the process alive.
      this.pumping = false;
      this.bytes -= totalSize(this.inflight);
      this.dropped.storeError += this.inflight.length;
      this.inflight = [];
      report(
        this.logger,
        'error',
        { store: this.name, err, code: 'ERR_DISPATCHER' },
        `internal error while writing to store "${this.name}"`,
      );
      this.onProgress();
    });
  }

  /**
   * Stop writing: no new batch starts, a backoff wait ends, and whatever is still queued or in
   * flight is counted `shutdown`. A write already running may still land; its outcome is ignored.
   */
  stop(): void {
    this.accepting = false;
    this.stopped = true;
    const leftovers = this.queue.drain();
    this.bytes -= totalSize(leftovers) + totalSize(this.inflight);
    this.dropped.shutdown += leftovers.length + this.inflight.length;
    this.inflight = [];
    this.wake?.();
  }

  /**
   * Call the store's `close()`, if any, waiting at most `timeoutMs` (a store that hangs is left
   * behind, observed). A failure is logged, never thrown.
   */
  async closeStore(timeoutMs: number): Promise<void> {
    if (typeof this.store.close !== 'function') return;
    const failure = await callStore('close', () => this.store.close?.(), timeoutMs);
    if (failure) {
      report(
        this.logger,
        'warn',
        { store: this.name, err: failure.err, code: 'ERR_STORE_CLOSE' },
        `store "${this.name}" did not close cleanly`,
      );
    }
  }

  /**
   * Log this store's counters as they are at the end of `close()`, in one line: they die with the
   * process, so this is the last word on what was lost and why. A warning when anything was dropped.
   */
  reportClosed(accepted: number): void {
    const { name, ...counters } = this.stats(accepted);
    const lost = Object.entries(counters.dropped).filter(([, n]) => n > 0);
    const total = lost.reduce((sum, [, n]) => sum + n, 0);
    const reasons = lost.map(([reason, n]) => `${reason} ${n}`).join(', ');
    report(
      this.logger,
      total > 0 ? 'warn' : 'info',
      { code: 'STORE_CLOSED', store: name, ...counters },
      `store "${name}" closed: ${counters.written} written, ${total} dropped` +
        (total > 0 ? ` (${reasons})` : ''),
    );
  }

  /** A snapshot of this store's counters; `accepted` is the dispatcher's, since every push is offered to every store. */
  stats(accepted: number): StoreStats {
    const stats: StoreStats = {
      name: this.name,
      accepted,
      written: this.written,
      buffered: this.buffered,
      dropped: { ...this.dropped },
      failures: this.failures,
      timeouts: this.timeouts,
    };
    if (this.lastError !== undefined) stats.lastError = this.lastError;
    return stats;
  }

  private async pump(): Promise<void> {
    while (!this.stopped && this.queue.length > 0) {
      const batch = this.queue.take(this.settings.batchSize);
      this.inflight = batch;
      const delivered = await this.deliver(batch);
      // stop() has already counted the in-flight batch as shutdown.
      if (this.stopped) break;
      this.inflight = [];
      this.bytes -= totalSize(batch);
      if (delivered) {
        this.written += batch.length;
      } else {
        this.dropped.storeError += batch.length;
        this.streakDropped += batch.length;
      }
      this.onProgress();
    }
    // Cleared in the same turn as the last emptiness check, so a later kick() is never lost.
    this.pumping = false;
  }

  /** Write one batch with retries; `false` when it must be dropped (or the writer stopped). */
  private async deliver(batch: readonly Outgoing[]): Promise<boolean> {
    const records = batch.map((entry) => entry.record);
    const consents: ConsentEvent[] = [];
    if (typeof this.store.writeConsents === 'function') {
      for (const entry of batch) if (entry.consent !== undefined) consents.push(entry.consent);
    }
    for (let failed = 1; ; failed++) {
      const failure = await this.attempt(records, consents);
      if (this.stopped) return false;
      if (failure === undefined) {
        this.recovered();
        return true;
      }
      this.failed(failure);
      if (failed > this.settings.maxRetries) return false;
      await this.sleep(backoffDelay(failed, this.settings.retryBaseMs, this.settings.retryMaxMs));
      if (this.stopped) return false;
    }
  }

  private async attempt(
    records: readonly AccessRecord[],
    consents: readonly ConsentEvent[],
  ): Promise<Failure | undefined> {
    const timeoutMs = this.settings.writeTimeoutMs;
    if (!this.initialized) {
      // A timed-out init may still finish later and be called again: stores make init idempotent.
      const failure = await callStore('init', () => this.store.init?.(), timeoutMs);
      if (failure) return failure;
      this.initialized = true;
      if (this.stopped) return undefined;
    }
    if (consents.length === 0)
      return callStore('write', () => this.store.write(records), timeoutMs);
    // Both are idempotent by id, so a retry after a failed ledger write rewrites nothing twice.
    return callStore(
      'write',
      async () => {
        await this.store.write(records);
        await this.store.writeConsents!(consents);
      },
      timeoutMs,
    );
  }

  private failed(failure: Failure): void {
    this.failures++;
    if (failure.timedOut) this.timeouts++;
    this.lastError = describeError(failure.err);
    if (this.streak++ > 0) return;
    report(
      this.logger,
      'error',
      {
        store: this.name,
        err: failure.err,
        code: failure.operation === 'init' ? 'ERR_STORE_INIT' : 'ERR_STORE_WRITE',
      },
      `store "${this.name}" failed to ${failure.operation}; retrying with backoff ` +
        '(not reported again until it recovers; see stats())',
    );
  }

  private recovered(): void {
    if (this.streak === 0) return;
    report(
      this.logger,
      'info',
      { store: this.name, failedAttempts: this.streak, droppedRecords: this.streakDropped },
      `store "${this.name}" recovered after ${this.streak} failed attempt(s)`,
    );
    this.streak = 0;
    this.streakDropped = 0;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, MAX_TIMER_MS));
      // Like write timeouts: a store in backoff must not keep the process alive on its own.
      timer.unref();
      this.wake = done;
    });
  }
}
