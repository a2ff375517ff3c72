import type { DiagnosticLogger } from '../logger.js';
import type { AccessRecord } from '../record.js';
import {
  backoffDelay,
  callStore,
  describeError,
  type Failure,
  MAX_TIMER_MS,
  report,
} from '../shared/store-call.js';
import type { ConsentEvent } from '../stores/consent-events.js';
import { applyRetention, matchesSubject } from '../stores/retention.js';
import { spillOf } from '../stores/spill-options.js';
import type { Store, Subject } from '../stores/store.js';
import { Fifo } from './fifo.js';
import { Spill } from './spill.js';

/**
 * Why a record never reached a store. The set is fixed so that dashboards can rely on it:
 *
 * - `bufferFull`: the shared pending queue or this store's own queue was at `maxRecords` or
 *   `maxBytes` when the request completed.
 * - `storeError`: the batch failed its first attempt and every retry (`maxRetries`, unlimited
 *   by default, so only with a finite setting); a failed `init()` counts here too.
 * - `shutdown`: still buffered when `close()` reached its deadline.
 * - `closed`: the request completed after this store stopped taking records: during `close()`,
 *   once it had written everything it held (or at the deadline), or after `close()`.
 * - `invalid`: `sizeOf` or `process` threw for that item (or `process` returned no object).
 * - `workerCrash`: in worker mode, the worker thread stopped (crashed, or was ended) while the
 *   record was on its way; the worker is restarted. Never counted in-process.
 * - `expired`: read back from a store's disk spill after its retention had ended.
 * - `erased`: erased while buffered (in memory or in the spill) for a store that was down.
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
  | 'workerCrash'
  | 'expired'
  | 'erased';

/** Dropped records of one store, by {@link DropReason}. */
export type DropCounts = Record<DropReason, number>;

/**
 * Counters of one store. At every moment `accepted === written + (sum of dropped) + buffered`.
 */
export interface StoreStats {
  /** The store's name (`store.name`, else its constructor's name, suffixed `#2`... when repeated). */
  name: string;
  /**
   * Every item pushed to the dispatcher, including those dropped on arrival, plus the records
   * found in a disk spill that an earlier process left (see {@link recovered}).
   */
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
  /** With a disk spill: records in its files now (part of `buffered`). */
  spilled?: number;
  /** With a disk spill: records found in it at startup, left by an earlier process (part of `accepted`). */
  recovered?: number;
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

/** The longest an erasure waits for a running write of the batch in flight before it goes on. */
const ERASE_WAIT_MS = 1000;

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
    expired: 0,
    erased: 0,
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
  /** The write (or init) call running now, if any: an erasure waits for it before it filters the batch. */
  private attempting: Promise<unknown> | undefined;
  private readonly spill: Spill | undefined;
  private spillOpened: Promise<void> | undefined;
  /** Until the spill's directory is read, it may hold records older than any: flush waits. */
  private spillOpening = false;
  private spillBroken = false;
  /** Records read back from the spill's oldest file, not yet written; that file is `replayPath`. */
  private readonly replay = new Fifo<Outgoing>();
  private replayPath: string | undefined;
  private inflightFromSpill = false;
  /** Records taken from the queue whose spill file is being written. */
  private spilling: readonly Outgoing[] = [];
  private spillWrite: Promise<void> | undefined;
  /** Records of an earlier process's spill, found at startup. */
  private recoveredRecords = 0;
  /** Spilled records still on disk when the writer stopped (replayed by the next process). */
  private leftOnDisk = 0;

  /**
   * @param onProgress called whenever records leave this writer (written or dropped), so that
   *   `flush()` waiters can be checked, and when an attempt fails (its counters change).
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
    const spill = spillOf(store);
    if (spill !== undefined) {
      this.spill = new Spill(spill);
      // Observed here and awaited by the first write: a spill an earlier process left is
      // replayed before anything newer, even when no request comes.
      this.spillOpening = true;
      this.spillOpened = this.spill.open().then(
        (found) => {
          this.spillOpening = false;
          this.onProgress();
          this.recoveredRecords += found;
          if (found > 0) {
            report(
              this.logger,
              'info',
              { store: this.name, records: found, code: 'SPILL_FOUND' },
              `store "${this.name}": ${found} record(s) found in the disk spill; they are written first`,
            );
            this.kick();
          }
        },
        (err: unknown) => {
          this.spillOpening = false;
          this.spillFailed(err);
          this.onProgress();
        },
      );
    }
  }

  /**
   * Records held in memory here, on which `maxRecords` (and, for their bytes, `maxBytes`) bear.
   * Records read back from one spill file for replay are held beside them, not counted: they are
   * still on disk, and counting them would drop new requests while the spill catches up.
   */
  private get inMemory(): number {
    return (
      this.reserved +
      this.queue.length +
      (this.inflightFromSpill ? 0 : this.inflight.length) +
      this.spilling.length
    );
  }

  /** Bytes of records that count against `maxBytes` (the batch in flight only when it does). */
  private sizeOf(entries: readonly Outgoing[], fromSpill: boolean): number {
    return fromSpill ? 0 : totalSize(entries);
  }

  /** Records reserved, queued, in flight or spilled to disk: what `buffered` reports. */
  get buffered(): number {
    const readBack = this.replay.length + (this.inflightFromSpill ? this.inflight.length : 0);
    return this.inMemory + readBack + (this.spill?.records ?? 0) + this.leftOnDisk;
  }

  /** The push order of the oldest record queued, in flight or spilled; `Infinity` when none. */
  oldestSeq(): number {
    if (this.spillOpening) return 0;
    return Math.min(
      this.inflight[0]?.seq ?? Number.POSITIVE_INFINITY,
      this.replay.peek()?.seq ?? Number.POSITIVE_INFINITY,
      this.spilling[0]?.seq ?? Number.POSITIVE_INFINITY,
      this.spill?.oldestSeq() ?? Number.POSITIVE_INFINITY,
      this.queue.peek()?.seq ?? Number.POSITIVE_INFINITY,
    );
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
    if (this.inMemory >= this.settings.maxRecords || this.bytes + size > this.settings.maxBytes) {
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
    this.maybeSpill();
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
    if (this.pumping || this.stopped) return;
    if (this.queue.length === 0 && this.replay.length === 0 && (this.spill?.records ?? 0) === 0) {
      return;
    }
    this.pumping = true;
    this.pump().then(undefined, (err: unknown) => {
      // Only a bug in this file gets here. Count the batch as lost rather than leave flush() waiting
      // on it forever, and keep the process alive.
      this.pumping = false;
      this.bytes -= this.sizeOf(this.inflight, this.inflightFromSpill);
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
    this.bytes -= totalSize(leftovers) + this.sizeOf(this.inflight, this.inflightFromSpill);
    this.dropped.shutdown += leftovers.length;
    // Records read back from the spill are still in its file: the next process replays them.
    const fromDisk = this.replay.drain();
    this.leftOnDisk += fromDisk.length;
    if (this.inflightFromSpill) this.leftOnDisk += this.inflight.length;
    else this.dropped.shutdown += this.inflight.length;
    this.inflight = [];
    this.wake?.();
  }

  /**
   * At `close()`, before {@link stop}: a store that could not write everything by the deadline
   * has what it holds in memory written to its disk spill (when it has one with room), for the
   * next process to replay.
   */
  async spillRest(): Promise<void> {
    if (this.spill === undefined) return;
    for (;;) {
      await this.spillWrite;
      const before = this.queue.length;
      this.maybeSpill(true);
      if (this.spillWrite === undefined || this.queue.length === before) break;
    }
    // A process that closes normally leaves its files synced and under their own names.
    await this.spill.synced();
  }

  /**
   * Erase a subject's records held here for a store that has not got them yet: in memory, in the
   * spill files, and in the batch in flight unless a write of it is running. Records under a
   * legal hold stay. Resolves with how many went (counted `erased`).
   */
  async eraseBuffered(subject: Subject): Promise<number> {
    const drop = (record: AccessRecord): boolean =>
      record.security?.hold !== true && matchesSubject(record, subject);
    if (this.attempting !== undefined) {
      // A write of the batch in flight is running: wait for it (briefly; a hung write times out
      // on its own) so that a failed batch is filtered before its retry.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.attempting,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, ERASE_WAIT_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
    let erased = this.filterMemory(drop);
    await this.spillWrite;
    if (this.spill !== undefined) {
      const onDisk = await this.spill.erase(drop);
      this.dropped.erased += onDisk;
      erased += onDisk;
      // Records may have been spilled meanwhile from the memory already filtered: none of the
      // subject's, since the filter ran first and new requests are the app's to refuse.
    }
    if (erased > 0) this.onProgress();
    return erased;
  }

  private filterMemory(drop: (record: AccessRecord) => boolean): number {
    let erased = 0;
    const keep = (entries: readonly Outgoing[], fromSpill: boolean): Outgoing[] =>
      entries.filter((entry) => {
        if (!drop(entry.record)) return true;
        erased++;
        if (!fromSpill) this.bytes -= entry.size;
        return false;
      });
    for (const entry of keep(this.queue.drain(), false)) this.queue.push(entry);
    for (const entry of keep(this.replay.drain(), true)) this.replay.push(entry);
    if (this.attempting === undefined && this.inflight.length > 0) {
      this.inflight = keep(this.inflight, this.inflightFromSpill);
    }
    this.dropped.erased += erased;
    return erased;
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
    if (this.spill !== undefined) {
      stats.accepted += this.recoveredRecords;
      stats.spilled = this.spill.records + this.leftOnDisk;
      stats.recovered = this.recoveredRecords;
    }
    return stats;
  }

  /**
   * Write batches in order: what was read back from the spill, then the spill's files, then the
   * queue. Records on their way to the spill are older than the queue's, so their file is
   * awaited first.
   */
  private async pump(): Promise<void> {
    await this.spillOpened;
    while (!this.stopped) {
      let fromSpill = true;
      if (this.replay.length === 0) {
        if (this.spillWrite !== undefined) {
          await this.spillWrite;
          continue;
        }
        if (this.replayPath !== undefined) {
          // Every record of that file is written or dropped: it can go.
          await this.spill!.remove(this.replayPath);
          this.replayPath = undefined;
        }
        if ((this.spill?.records ?? 0) > 0) {
          await this.readBack();
          continue;
        }
        if (this.queue.length === 0) break;
        fromSpill = false;
      }
      this.inflight = (fromSpill ? this.replay : this.queue).take(this.settings.batchSize);
      this.inflightFromSpill = fromSpill;
      const delivered = await this.deliver();
      // stop() has already counted the in-flight batch.
      if (this.stopped) break;
      const batch = this.inflight;
      this.inflight = [];
      this.bytes -= this.sizeOf(batch, fromSpill);
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

  /**
   * Read the spill's oldest file into `replay`. Retention applies on the way: a record whose
   * retention ended while it was on disk is dropped (`expired`), an expired category is removed.
   */
  private async readBack(): Promise<void> {
    let taken: Awaited<ReturnType<Spill['take']>>;
    try {
      taken = await this.spill!.take();
    } catch (err) {
      this.spillFailed(err);
      return;
    }
    if (taken === undefined) return;
    this.replayPath = taken.path;
    this.dropped.invalid += taken.unreadable;
    const now = new Date();
    for (const entry of taken.records) {
      const { record } = applyRetention(entry.record, now);
      if (record === undefined) {
        this.dropped.expired++;
        continue;
      }
      this.replay.push(
        entry.consent === undefined
          ? { record, size: entry.size, seq: entry.seq }
          : { record, size: entry.size, seq: entry.seq, consent: entry.consent },
      );
    }
    this.onProgress();
  }

  /**
   * While the memory buffer is half full (or at `close()`, `all`), move
   * the queue to a new spill file, as much as fits under the spill's `maxBytes`. A file system
   * error puts the records back in front of the queue and turns the spill off (reported).
   */
  private maybeSpill(all = false): void {
    const spill = this.spill;
    if (spill === undefined || this.spillBroken || this.spillWrite !== undefined) return;
    // A half-full buffer means the store is not keeping up, whether it is down, slow, or catching
    // up on an earlier spill: new records are newer than anything on disk, so order holds.
    if (this.queue.length === 0) return;
    const { maxRecords, maxBytes } = this.settings;
    if (!all && this.inMemory * 2 < maxRecords && this.bytes * 2 < maxBytes) return;
    const entries: Outgoing[] = [];
    let size = 0;
    // The whole queue in one file: one write for as much as waits, however busy the disk.
    for (let next = this.queue.peek(); next !== undefined; next = this.queue.peek()) {
      if (!spill.fits(size + next.size)) break;
      entries.push(this.queue.shift()!);
      size += next.size;
    }
    if (entries.length === 0) return;
    this.spilling = entries;
    this.spillWrite = spill
      .append(entries)
      .then(
        ({ synced }) => {
          // Written: a later process takes the file even if this one ends before the sync, so
          // the records leave the memory buffer now. Waiting for the sync here would hold half a
          // buffer for as long as a busy disk takes (seconds), while requests keep coming.
          this.bytes -= size;
          synced.catch((err: unknown) => this.spillFailed(err));
        },
        (err: unknown) => {
          const newer = this.queue.drain();
          for (const entry of [...entries, ...newer]) this.queue.push(entry);
          this.spillFailed(err);
        },
      )
      .finally(() => {
        this.spilling = [];
        this.spillWrite = undefined;
        if (this.stopped) {
          // Spilled after close() gave up: on disk, for the next process.
          return;
        }
        this.onProgress();
        this.maybeSpill();
      });
  }

  private spillFailed(err: unknown): void {
    if (this.spillBroken) return;
    this.spillBroken = true;
    report(
      this.logger,
      'error',
      { store: this.name, err, code: 'ERR_SPILL' },
      `store "${this.name}": the disk spill failed; records are kept in memory only from now on`,
    );
  }

  /** Write the batch in flight with retries; `false` when it must be dropped (or the writer stopped). */
  private async deliver(): Promise<boolean> {
    for (let failed = 1; ; failed++) {
      // Read each time: an erasure during the backoff may have taken records out of the batch.
      const records = this.inflight.map((entry) => entry.record);
      if (records.length === 0) return true;
      const consents: ConsentEvent[] = [];
      if (typeof this.store.writeConsents === 'function') {
        for (const entry of this.inflight)
          if (entry.consent !== undefined) consents.push(entry.consent);
      }
      const attempt = this.attempt(records, consents);
      this.attempting = attempt;
      const failure = await attempt;
      this.attempting = undefined;
      if (this.stopped) return false;
      if (failure === undefined) {
        this.recovered();
        return true;
      }
      this.failed(failure);
      this.maybeSpill();
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
    // The failure counters moved (nothing left the writer, so waiting flushes stay as they are).
    this.onProgress();
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
