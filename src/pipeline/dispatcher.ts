import type { DiagnosticLogger } from '../logger.js';
import type { AccessRecord } from '../record.js';
import { MAX_TIMER_MS, report } from '../shared/store-call.js';
import type { ConsentEvent } from '../stores/consent-events.js';
import { type Store, type Subject, storeName } from '../stores/store.js';
import { Fifo } from './fifo.js';
import {
  type Outgoing,
  type StoreStats,
  StoreWriter,
  type WriterSettings,
} from './store-writer.js';
import { Waiters } from './waiters.js';

export type { DropCounts, DropReason, StoreStats } from './store-writer.js';

/**
 * Items processed per event-loop turn by default; the rest wait for the next turn so requests keep
 * flowing on a thread that serves them.
 */
const PROCESS_CHUNK = 1000;

/** Options of a {@link Dispatcher}. Every count is a positive integer unless said otherwise. */
export interface DispatcherOptions<T> {
  /** Where records go. Each store gets its own queue and writer. */
  stores: readonly Store[];
  /**
   * Turn one captured item into a record; runs in the background, in batches. Throwing (or returning
   * something that is not an object) drops that item: counted `invalid`, reported once.
   */
  process: (item: T) => AccessRecord;
  /**
   * The consent event an item carries (a change of choice noted on the request path), built from
   * the item and its record. It rides with the record's batch into each store that keeps a ledger.
   * Throwing loses the event only (reported once), never the record.
   */
  consentOf?: (item: T, record: AccessRecord) => ConsentEvent | undefined;
  /** Rough size in bytes of a captured item, for the byte bound. Throwing drops the item as `invalid`. */
  sizeOf: (item: T) => number;
  /**
   * Awaited once before the first processing (e.g. a lazy GeoIP load). A rejection is reported and
   * processing continues without it. It has no timeout: until it settles, items only accumulate
   * (within the bounds), and `close()` drops them at its deadline.
   */
  ready?: Promise<unknown>;
  /** Where failures are reported (never records). */
  logger: DiagnosticLogger;
  /** Bound on items plus records buffered for each store, and on the shared pending queue. Default 10 000. */
  maxRecords?: number;
  /** Bound in bytes (by `sizeOf`) on what is buffered for each store and on the pending queue. Default 8 MiB. */
  maxBytes?: number;
  /** Records per store write. Default 500. */
  batchSize?: number;
  /** Longest time in ms a partial batch waits before it is processed and written. Default 1000. */
  maxDelayMs?: number;
  /**
   * Items processed per event-loop turn. Default 1000, or the batch size when that is larger and
   * `wholeBatches` is set: a worker, which serves no request, processes a full batch in one turn so
   * that its stores get it in one write.
   */
  wholeBatches?: boolean;
  /** A store call (`init`, `write`, `close`) not settled after this many ms counts as failed. Default 10 000. */
  writeTimeoutMs?: number;
  /**
   * Retries after the first attempt before a batch is dropped as `storeError`; 0 allowed. Default
   * `Infinity`: a failing store keeps its records until its buffer is full (newer ones are then
   * dropped as `bufferFull`) or `close()` reaches its deadline.
   */
  maxRetries?: number;
  /** Backoff base in ms: retry n waits a random time below `retryBaseMs * 2^(n-1)`. Default 100. */
  retryBaseMs?: number;
  /** Cap in ms on a single backoff wait. Default 30 000. */
  retryMaxMs?: number;
  /**
   * Called whenever the counters of {@link Dispatcher.stats} may have changed: an item pushed,
   * processed, written, dropped or spilled, a store call failed. Lets a caller publish the
   * counters when they move rather than poll them. Must not throw.
   */
  onProgress?: () => void;
}

/**
 * Counters of a dispatcher. For every store, at every moment:
 * `accepted === written + (sum of dropped) + buffered`.
 */
export interface DispatcherStats {
  /** Every `push`, including those dropped on arrival. */
  accepted: number;
  /** Items waiting to be processed (shared by all stores). */
  buffered: number;
  /** Items dropped because `sizeOf` or `process` threw. */
  invalid: number;
  /** One entry per store, in the order of `options.stores`. */
  stores: StoreStats[];
}

/** Options of {@link Dispatcher.flush}. */
export interface FlushOptions {
  /** Wait only for these stores (by their names in {@link StoreStats}); unknown names are ignored. Default: all. */
  stores?: readonly string[];
  /**
   * Stop waiting after this many ms; the stores not done by then are named in the result.
   * Default: no bound (a failing store is waited for until it recovers, or its retries run out).
   */
  timeoutMs?: number;
}

/** What {@link Dispatcher.flush} resolves with. */
export interface FlushResult {
  /** The stores waited for that still held records when the wait ended; empty when all were done. */
  pending: string[];
}

/** Options of {@link Dispatcher.close}. */
export interface CloseOptions {
  /**
   * Time in ms to write what is buffered before it is dropped as `shutdown`. Default 10 000;
   * negative means 0, and waits beyond about 24.8 days are capped there.
   */
  timeoutMs?: number;
}

interface Pending<T> {
  readonly item: T;
  readonly size: number;
  readonly seq: number;
  /** Which stores reserved room for it; `undefined` means all of them (the usual case, no allocation). */
  readonly targets: Uint8Array | undefined;
}

/**
 * Moves captured items from the request path to the stores. `push` is synchronous, constant time
 * per store and never throws; processing and writing happen later, in batches, bounded in records
 * and bytes, with retries and counted drops. Nothing here rejects unobserved, and no request waits
 * on a store.
 */
export class Dispatcher<T> {
  private readonly processItem: (item: T) => AccessRecord;
  private readonly consentOf:
    | ((item: T, record: AccessRecord) => ConsentEvent | undefined)
    | undefined;
  private consentReported = false;
  private readonly sizeOf: (item: T) => number;
  private readonly logger: DiagnosticLogger;
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly batchSize: number;
  private readonly processChunk: number;
  private readonly maxDelayMs: number;
  private readonly writers: readonly StoreWriter[];
  private readonly pending = new Fifo<Pending<T>>();
  private pendingBytes = 0;
  private accepted = 0;
  private invalid = 0;
  private invalidReported = false;
  private ready: boolean;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Waiters();
  /** Records leaving a store (or failing to): waiters are checked, the caller told. */
  private readonly onProgress: () => void;
  /** The caller's `onProgress`, told of every push. */
  private readonly pushed: (() => void) | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;

  /** @throws RangeError or TypeError when an option is out of range; never later. */
  constructor(options: DispatcherOptions<T>) {
    this.processItem = options.process;
    this.consentOf = options.consentOf;
    this.sizeOf = options.sizeOf;
    this.logger = options.logger;
    const onProgress = options.onProgress;
    this.pushed = onProgress;
    this.onProgress =
      onProgress === undefined
        ? () => this.waiters.check()
        : () => {
            this.waiters.check();
            onProgress();
          };
    this.maxRecords = count('maxRecords', options.maxRecords, 10_000, 1);
    this.maxBytes = count('maxBytes', options.maxBytes, 8 * 1024 * 1024, 1);
    this.batchSize = count('batchSize', options.batchSize, 500, 1);
    this.processChunk = options.wholeBatches
      ? Math.max(PROCESS_CHUNK, this.batchSize)
      : PROCESS_CHUNK;
    this.maxDelayMs = Math.min(count('maxDelayMs', options.maxDelayMs, 1000, 0), MAX_TIMER_MS);
    const settings: WriterSettings = {
      maxRecords: this.maxRecords,
      maxBytes: this.maxBytes,
      batchSize: this.batchSize,
      writeTimeoutMs: count('writeTimeoutMs', options.writeTimeoutMs, 10_000, 1),
      maxRetries:
        options.maxRetries === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : count('maxRetries', options.maxRetries, Number.POSITIVE_INFINITY, 0),
      retryBaseMs: count('retryBaseMs', options.retryBaseMs, 100, 0),
      retryMaxMs: count('retryMaxMs', options.retryMaxMs, 30_000, 0),
    };
    const seen = new Map<string, number>();
    this.writers = options.stores.map((store) => {
      if (typeof store?.write !== 'function') {
        throw new TypeError('Dispatcher: every store needs a write(records) method');
      }
      const base = storeName(store);
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const name = n === 1 ? base : `${base}#${n}`;
      return new StoreWriter(store, name, settings, this.logger, this.onProgress);
    });

    this.ready = options.ready === undefined;
    if (options.ready !== undefined) {
      // Observed right away: a rejected `ready` must not wait for the first push to be handled.
      Promise.resolve(options.ready).then(
        () => this.becomeReady(),
        (err: unknown) => {
          report(
            this.logger,
            'warn',
            { err, code: 'ERR_PIPELINE_READY' },
            'background preparation failed (e.g. GeoIP data); records are processed without it',
          );
          this.becomeReady();
        },
      );
    }
  }

  /**
   * Hand over one captured item. Synchronous, O(number of stores), never throws, never does I/O:
   * it is called from a response's `close` handler. A full queue drops the item (counted).
   */
  push(item: T): void {
    const seq = ++this.accepted;
    this.pushed?.();
    if (this.closed !== undefined && !this.writers.some((writer) => writer.open)) {
      for (const writer of this.writers) writer.drop('closed');
      return;
    }
    let size: number;
    try {
      const measured = this.sizeOf(item);
      size = Number.isFinite(measured) && measured > 0 ? measured : 0;
    } catch (err) {
      this.dropInvalid(err);
      for (const writer of this.writers) writer.drop('invalid');
      return;
    }
    if (this.pending.length >= this.maxRecords || this.pendingBytes + size > this.maxBytes) {
      for (const writer of this.writers) writer.drop('bufferFull');
      return;
    }
    // Each store reserves its own room now, so a store whose queue is full drops for itself only
    // and `buffered` never exceeds its bounds, even counting items not yet processed.
    let targets: Uint8Array | undefined;
    let wanted = false;
    for (let i = 0; i < this.writers.length; i++) {
      if (this.writers[i]!.reserve(size)) {
        wanted = true;
      } else {
        targets ??= new Uint8Array(this.writers.length).fill(1);
        targets[i] = 0;
      }
    }
    if (!wanted) return;
    this.pending.push({ item, size, seq, targets });
    this.pendingBytes += size;
    this.schedule(false);
  }

  /**
   * Resolves once every item pushed before this call is written or dropped in every store (or in
   * `options.stores`). Items pushed meanwhile are not waited for. Never rejects. Without
   * `timeoutMs`, a store that keeps failing is waited for until it recovers or its retries run out
   * (with the default unlimited retries: until it recovers); with it, the wait ends there and the
   * result names the stores that were not done.
   */
  flush(options: FlushOptions = {}): Promise<FlushResult> {
    const seq = this.accepted;
    const names = options.stores;
    const writers =
      names === undefined
        ? this.writers
        : this.writers.filter((writer) => names.includes(writer.name));
    this.schedule(true);
    return this.waiters
      .until(() => this.passed(seq, writers), options.timeoutMs)
      .then(() => ({
        pending: writers
          .filter((writer) => !this.passed(seq, [writer]))
          .map((writer) => writer.name),
      }));
  }

  /**
   * Flush within `timeoutMs` (default 10 000), drop what is left as `shutdown`, then call each
   * store's `close()` (bounded by the same deadline) and log each store's counters in one line
   * (`STORE_CLOSED`; a warning when records were dropped). Each store keeps taking records pushed
   * meanwhile until it has written everything it held (or everything pushed before this call);
   * pushes after that are dropped as `closed` for that store only, so a hung store costs the
   * others nothing. Calling it again returns the same promise. Never rejects.
   */
  close(options: CloseOptions = {}): Promise<void> {
    // Lenient on purpose: close() runs from signal handlers, where a throw would lose the buffer.
    const requested = options.timeoutMs;
    const timeoutMs =
      requested === undefined || Number.isNaN(requested) ? 10_000 : Math.max(0, requested);
    this.closed ??= this.shutdown(timeoutMs).then(undefined, (err: unknown) =>
      report(this.logger, 'error', { err, code: 'ERR_DISPATCHER' }, 'close failed'),
    );
    return this.closed;
  }

  /**
   * Erase a subject's records still buffered for the named store (in memory or in its disk spill),
   * which a store that is down cannot erase itself. Resolves with how many went; 0 for an unknown
   * name. Never rejects: a spill that cannot be rewritten is reported and counts as 0.
   */
  async eraseBuffered(store: string, subject: Subject): Promise<number> {
    const writer = this.writers.find((w) => w.name === store);
    if (writer === undefined) return 0;
    try {
      return await writer.eraseBuffered(subject);
    } catch (err) {
      report(
        this.logger,
        'error',
        { store, err, code: 'ERR_SPILL' },
        `store "${store}": a subject's records could not be erased from the disk spill`,
      );
      return 0;
    }
  }

  /** A snapshot of the counters; see {@link DispatcherStats} for the invariant they keep. */
  stats(): DispatcherStats {
    return {
      accepted: this.accepted,
      buffered: this.pending.length,
      invalid: this.invalid,
      stores: this.writers.map((writer) => writer.stats(this.accepted)),
    };
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    const seq = this.accepted;
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    // Left referenced: a process awaiting close() stays alive until it is done.
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.min(timeoutMs, MAX_TIMER_MS));
    });
    this.schedule(true);
    try {
      // Per store, so that a hung store costs no other store its records or its close: each one
      // keeps taking records (a server usually still answers while it shuts down) until it has
      // nothing left, or until everything accepted before close() has left it, and then writes
      // what it took. A store that never gets there stops at the deadline.
      await Promise.all(
        this.writers.map(async (writer) => {
          const empty = () => writer.buffered === 0;
          const caughtUp = await Promise.race([
            this.waiters.until(() => empty() || this.passed(seq, [writer])),
            expired,
          ]);
          writer.closeIntake();
          const drained = caughtUp && (await Promise.race([this.waiters.until(empty), expired]));
          if (!drained) {
            this.dropPending();
            // A store still down keeps what fits in its disk spill, for the next process.
            await Promise.race([writer.spillRest(), expired]);
          }
          writer.stop();
          this.onProgress();
          await writer.closeStore(deadline - Date.now());
        }),
      );
    } finally {
      clearTimeout(timer);
      if (this.timer !== undefined) clearTimeout(this.timer);
      if (this.immediate !== undefined) clearImmediate(this.immediate);
      this.timer = undefined;
      this.immediate = undefined;
    }
    for (const writer of this.writers) writer.reportClosed(this.accepted);
  }

  /** Drop every item still waiting for processing as `shutdown`, in the stores that reserved it. */
  private dropPending(): void {
    for (const entry of this.pending.drain()) {
      this.writers.forEach((writer, i) => {
        if (entry.targets === undefined || entry.targets[i] === 1) {
          writer.release(entry.size, 'shutdown');
        }
      });
    }
    this.pendingBytes = 0;
  }

  private becomeReady(): void {
    this.ready = true;
    this.schedule(true);
  }

  /** Process soon: on the next turn when asked or a batch is full, else within `maxDelayMs`. */
  private schedule(now: boolean): void {
    if (!this.ready || this.immediate !== undefined || this.pending.length === 0) return;
    if (now || this.closing || this.pending.length >= this.batchSize) {
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      this.immediate = setImmediate(this.run);
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.run, this.maxDelayMs);
      // An idle logger with a partial batch must not keep the process alive.
      this.timer.unref();
    }
  }

  private readonly run = (): void => {
    this.immediate = undefined;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const limit = Math.min(this.processChunk, this.pending.length);
    for (let i = 0; i < limit; i++) {
      const entry = this.pending.shift()!;
      this.pendingBytes -= entry.size;
      this.route(entry);
    }
    for (const writer of this.writers) writer.kick();
    if (this.pending.length > 0) this.immediate = setImmediate(this.run);
    this.onProgress();
  };

  /** Process one item and queue the record in every store that reserved room for it. */
  private route(entry: Pending<T>): void {
    let record: AccessRecord | undefined;
    try {
      record = this.processItem(entry.item);
      if (typeof record !== 'object' || record === null) {
        throw new TypeError('process() returned no record');
      }
    } catch (err) {
      this.dropInvalid(err);
      record = undefined;
    }
    const consent = record === undefined ? undefined : this.consentFor(entry.item, record);
    const outgoing: Outgoing | undefined =
      record === undefined
        ? undefined
        : consent === undefined
          ? { record, size: entry.size, seq: entry.seq }
          : { record, size: entry.size, seq: entry.seq, consent };
    for (let i = 0; i < this.writers.length; i++) {
      if (entry.targets !== undefined && entry.targets[i] === 0) continue;
      const writer = this.writers[i]!;
      if (outgoing === undefined) writer.release(entry.size, 'invalid');
      else writer.offer(outgoing);
    }
  }

  private consentFor(item: T, record: AccessRecord): ConsentEvent | undefined {
    if (this.consentOf === undefined) return undefined;
    try {
      return this.consentOf(item, record);
    } catch (err) {
      if (!this.consentReported) {
        this.consentReported = true;
        report(
          this.logger,
          'error',
          { err, code: 'ERR_CONSENT_EVENT' },
          'a consent event could not be built',
        );
      }
      return undefined;
    }
  }

  private dropInvalid(err: unknown): void {
    this.invalid++;
    if (this.invalidReported) return;
    this.invalidReported = true;
    report(
      this.logger,
      'error',
      { err, code: 'ERR_RECORD_INVALID' },
      'could not turn a captured request into a record; it is dropped ' +
        '(further ones are only counted, see stats().invalid)',
    );
  }

  /** Whether every item with a push order up to `seq` has left these stores (written or dropped). */
  private passed(seq: number, writers: readonly StoreWriter[]): boolean {
    // Conservative: an item still pending may be meant for other stores only.
    if ((this.pending.peek()?.seq ?? Number.POSITIVE_INFINITY) <= seq) return false;
    return writers.every((writer) => writer.oldestSeq() > seq);
  }
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Dispatcher option ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}
