import { Worker } from 'node:worker_threads';
import type { CompanyResolver } from '../enrich/company.js';
import type { ReverseLookup } from '../enrich/domain.js';
import type { DiagnosticLogger } from '../logger.js';
import type { CloseOptions } from '../pipeline/dispatcher.js';
import type { PipelineStats, RecordPipeline } from '../pipeline/in-process.js';
import type { DropReason } from '../pipeline/store-writer.js';
import type { DefinedPolicy } from '../policy/define.js';
import type { AccessRecord } from '../record.js';
import type { Bucket } from '../reports/bucket.js';
import { HyperLogLog } from '../reports/hyperloglog.js';
import type { RemoteRollups } from '../reports/reports-api.js';
import type { RollupRunResult } from '../reports/runner.js';
import type { Captured } from '../request/capture.js';
import { SignedIdPool } from '../request/signed-ids.js';
import { MAX_TIMER_MS, report } from '../shared/store-call.js';
import type { ConsentEvent } from '../stores/consent-events.js';
import { takesJsonBatches, writeJsonBatch } from '../stores/json-batches.js';
import { eraseBufferedOf, spillOf } from '../stores/spill-options.js';
import type { Store, Subject } from '../stores/store.js';
import { Accounting } from './accounting.js';
import { PendingCalls } from './calls.js';
import type { TrustSettings } from './client-address.js';
import { restoreDetails, toSerialError } from './errors.js';
import { workerExecArgv } from './exec-argv.js';
import { LookupAnswers } from './lookup-batches.js';
import {
  type FromWorker,
  type PipelineSettings,
  PROTOCOL_VERSION,
  type RollupOp,
  type StoreMethod,
  type StoreOwnMethod,
  type StoreSlot,
  type ToWorker,
  type WorkerSetup,
} from './protocol.js';
import { REMOTE_METHODS, RemoteStore } from './remote-store.js';
import { SharedCounters, sharedStatsBytes } from './shared-stats.js';
import { SnapshotWriter } from './snapshot.js';

/** Time a worker gets beyond the close deadline to answer before it is ended. */
const CLOSE_GRACE_MS = 1000;
/** Workers that stop before they are ready, in a row, before the logger gives up on them. */
const MAX_FAILED_STARTS = 5;
/** Crashes closer together than this delay the next restart more and more (up to 5 s). */
const CRASH_WINDOW_MS = 10_000;

/** What a {@link WorkerPipeline} is made of; see `worker-mode.ts`, which plans it. */
export interface WorkerPipelineOptions {
  readonly entry: URL;
  readonly policies: readonly DefinedPolicy[];
  readonly secrets: readonly string[];
  readonly settings: PipelineSettings;
  /** Where each store lives, in the order given. */
  readonly slots: readonly StoreSlot[];
  /** The stores as given, on this thread: those of `main` slots are written here. */
  readonly stores: readonly Store[];
  /** Display names, as the dispatcher gives them (`SqliteStore`, `SqliteStore#2`). */
  readonly names: readonly string[];
  readonly logger: DiagnosticLogger;
  readonly reverse: ReverseLookup | undefined;
  readonly company: CompanyResolver | undefined;
  readonly trusts: TrustSettings;
  /** Requests per batch that crosses, and the longest in ms a request waits to cross. */
  readonly handover: { readonly records: number; readonly delayMs: number };
  /** Requests that may wait here while no worker runs; more are dropped (`bufferFull`). */
  readonly maxWaiting: number;
  /** The worker signs new visitor ids ahead of need (a policy issues a visitor cookie). */
  readonly signIds: boolean;
}

/**
 * The serving thread's side of worker mode: it encodes finished requests and hands them to the
 * worker in batches, forwards flush, close and the privacy operations as calls, serves what the
 * worker asks of this thread (stores of the app's live objects, lookup functions, the logger), and
 * restarts a worker that stops. Nothing here throws into a request or rejects unobserved.
 */
export class WorkerPipeline implements RecordPipeline {
  readonly stores: readonly Store[];
  /** New visitor ids the worker signed, for the cookie jars; undefined when no policy issues any. */
  readonly visitorIds: SignedIdPool | undefined;
  readonly #o: WorkerPipelineOptions;
  readonly #accounting: Accounting;
  readonly #writer: SnapshotWriter;
  readonly #calls = new PendingCalls();
  readonly #remote: (RemoteStore | undefined)[];
  #worker: Worker | undefined;
  #counters: SharedCounters | undefined;
  #ready = false;
  #error: unknown;
  /** Messages kept while no worker runs, and how many requests they hold. */
  #outbox: ToWorker[] = [];
  #outboxRecords = 0;
  #handoverTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #failedStarts = 0;
  #streak = 0;
  #lastCrashMs = 0;
  #broken = false;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(options: WorkerPipelineOptions) {
    this.#o = options;
    this.#accounting = new Accounting(options.names);
    this.#writer = new SnapshotWriter(options.handover.records, options.trusts.table);
    this.#remote = options.slots.map((slot, index) => {
      if (slot.where === 'main') return undefined;
      const given = options.stores[index]!;
      const methods = slot.config.kind === 'module' ? [] : methodsOf(given);
      const remote = new RemoteStore(
        slot.name,
        (method, args) => this.#storeCall(index, method, args),
        methods,
      );
      if (spillOf(given) !== undefined) {
        Object.defineProperty(remote, eraseBufferedOf, {
          value: (subject: Subject) =>
            this.#storeCall(index, 'eraseBuffered', [subject]).then(Number, () => 0),
        });
      }
      return remote;
    });
    this.stores = options.stores.map((store, i) => this.#remote[i] ?? store);
    this.visitorIds = options.signIds
      ? new SignedIdPool((count) => this.#send({ t: 'ids', count }))
      : undefined;
    this.#spawn();
  }

  push(c: Captured): void {
    this.#accounting.handed();
    if (this.#closing || this.#broken) {
      this.#accounting.dropped(this.#closing ? 'closed' : 'workerCrash');
      return;
    }
    this.#writer.push(c);
    if (this.#writer.full) this.#handOver();
    else if (this.#handoverTimer === undefined) {
      const delay = this.#o.handover.delayMs;
      this.#handoverTimer =
        delay === 0 ? setImmediate(this.#handOver) : setTimeout(this.#handOver, delay).unref();
    }
  }

  /**
   * The worker flushes every store at once (a per-store flush does not cross the thread boundary
   * yet), so the bound is kept here: the caller stops waiting at `timeoutMs`, and the stores it
   * then reads are asked for what they hold.
   */
  async flushStores(_stores: readonly string[], timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref?.();
    });
    try {
      await Promise.race([this.flush(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The rollups of the store at `index` when it was built in the worker: the traffic reports run
   * there, beside the store; undefined for a store that stays on this thread.
   */
  rollups(index: number): RemoteRollups | undefined {
    if (this.#o.slots[index]?.where !== 'worker') return undefined;
    const call = (op: RollupOp, args: readonly unknown[]) =>
      this.#call((id) => ({ t: 'rollups', id, index, op, args }));
    return {
      update: (now, openHours) =>
        call('update', [now?.getTime(), openHours]) as Promise<RollupRunResult>,
      buckets: async (...args) => {
        const crossed = (await call('buckets', args)) as (Omit<Bucket, 'visitors'> & {
          visitors: Uint8Array;
        })[];
        return crossed.map((b) => ({ ...b, visitors: HyperLogLog.deserialize(b.visitors) }));
      },
      purge: (before) => call('purge', [before.getTime()]) as Promise<number>,
    };
  }

  async flush(): Promise<void> {
    this.#handOver();
    if (this.#broken || this.#closed !== undefined) return;
    // A worker that stops meanwhile has its requests counted as dropped: that settles them too.
    await this.#call((id) => ({ t: 'flush', id })).catch(() => undefined);
  }

  close(options: CloseOptions = {}): Promise<void> {
    const requested = options.timeoutMs;
    const timeoutMs =
      requested === undefined || Number.isNaN(requested) ? 10_000 : Math.max(0, requested);
    this.#closed ??= this.#shutdown(timeoutMs).catch((err: unknown) =>
      report(this.#o.logger, 'error', { err, code: 'ERR_WORKER' }, 'closing the worker failed'),
    );
    return this.#closed;
  }

  stats(): PipelineStats {
    const current = this.#counters?.read(this.#o.names);
    return this.#accounting.stats(this.#writer.count + this.#outboxRecords, current);
  }

  readonly #handOver = (): void => {
    if (this.#handoverTimer !== undefined) {
      clearTimeout(this.#handoverTimer as NodeJS.Timeout);
      clearImmediate(this.#handoverTimer as NodeJS.Immediate);
      this.#handoverTimer = undefined;
    }
    const batch = this.#writer.take();
    if (batch === undefined) return;
    if (this.#worker === undefined && this.#outboxRecords + batch.count > this.#o.maxWaiting) {
      this.#drop(batch.count, 'bufferFull');
      return;
    }
    this.#send(batch);
  };

  async #shutdown(timeoutMs: number): Promise<void> {
    this.#closing = true;
    this.#handOver();
    clearTimeout(this.#restartTimer);
    // Requests waiting for a restart still deserve their chance within the deadline.
    if (this.#worker === undefined && !this.#broken) this.#spawn();
    const worker = this.#worker;
    if (worker === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.min(timeoutMs + CLOSE_GRACE_MS, MAX_TIMER_MS));
    });
    const answered = this.#call((id) => ({ t: 'close', id, timeoutMs })).catch(() => undefined);
    await Promise.race([answered, expired]);
    clearTimeout(timer);
    const code = await worker.terminate();
    this.#exited(worker, code);
  }

  /** Start a worker and give it what waited. */
  #spawn(): void {
    this.#restartTimer = undefined;
    const stats = new SharedArrayBuffer(sharedStatsBytes(this.#o.slots.length));
    const setup: WorkerSetup = {
      protocol: PROTOCOL_VERSION,
      policies: this.#o.policies,
      secrets: this.#o.secrets,
      settings: this.#o.settings,
      stores: this.#o.slots,
      stats,
      decisions: this.#writer.decisions,
      trusts: this.#o.trusts.table,
    };
    let worker: Worker;
    try {
      worker = startWorker(this.#o.entry, setup);
    } catch (err) {
      this.#error = err;
      this.#startFailed();
      return;
    }
    this.#worker = worker;
    this.#counters = new SharedCounters(stats, this.#o.slots.length);
    this.#ready = false;
    this.#error = undefined;
    const lookups = new LookupAnswers(this.#o, (message) => {
      try {
        worker.postMessage(message);
      } catch {
        // The worker is gone: its lookups were settled when it stopped.
      }
    });
    worker.on('message', (message: FromWorker) => this.#receive(worker, message, lookups));
    worker.on('error', (err) => {
      if (worker === this.#worker) this.#error = err;
    });
    worker.on('exit', (code) => this.#exited(worker, code));
    const waiting = this.#outbox;
    this.#outbox = [];
    this.#outboxRecords = 0;
    for (const message of waiting) this.#send(message);
    // Ids for the first new visitors, signed while the stores are being opened.
    this.visitorIds?.fill();
    this.#refresh();
  }

  #exited(worker: Worker, code: number): void {
    if (worker !== this.#worker) return;
    const last = this.#counters!.read(this.#o.names);
    this.#worker = undefined;
    this.#counters = undefined;
    const lost = this.#accounting.workerStopped(last, this.#closing ? 'shutdown' : 'workerCrash');
    this.#calls.failAll(new Error('the logging worker stopped'));
    this.visitorIds?.lost();
    this.#refresh();
    if (this.#closing) return;
    report(
      this.#o.logger,
      'error',
      { err: this.#error, exitCode: code, lostRecords: lost, code: 'ERR_WORKER_CRASH' },
      'the logging worker stopped; it is restarted, and the records it held are counted as dropped (workerCrash)',
    );
    if (!this.#ready) {
      this.#startFailed();
      return;
    }
    const now = Date.now();
    this.#streak = now - this.#lastCrashMs < CRASH_WINDOW_MS ? this.#streak + 1 : 1;
    this.#lastCrashMs = now;
    this.#scheduleRestart(this.#streak === 1 ? 0 : Math.min(100 * 2 ** (this.#streak - 2), 5000));
  }

  #startFailed(): void {
    this.#failedStarts++;
    if (this.#failedStarts < MAX_FAILED_STARTS) {
      this.#scheduleRestart(Math.min(100 * 2 ** (this.#failedStarts - 1), 5000));
      return;
    }
    this.#broken = true;
    report(
      this.#o.logger,
      'error',
      { err: this.#error, code: 'ERR_WORKER_START' },
      `the logging worker failed to start ${MAX_FAILED_STARTS} times; requests are no longer recorded (counted as dropped, workerCrash)`,
    );
    for (const message of this.#outbox)
      if (message.t === 'batch') this.#drop(message.count, 'workerCrash');
    this.#outbox = [];
    this.#outboxRecords = 0;
    this.#calls.failAll(new Error('the logging worker could not be started'));
    this.#refresh();
  }

  #scheduleRestart(delayMs: number): void {
    this.#restartTimer = setTimeout(() => this.#spawn(), delayMs);
    // An idle app may exit meanwhile; a caller waiting on a flush keeps it up (see #refresh).
    this.#restartTimer.unref();
  }

  #receive(worker: Worker, message: FromWorker, lookups: LookupAnswers): void {
    if (worker !== this.#worker) return;
    switch (message.t) {
      case 'ready':
        this.#ready = true;
        this.#failedStarts = 0;
        message.methods.forEach((methods, i) => {
          this.#remote[i]?.expose(methods);
        });
        return;
      case 'answer':
        if (message.ok) this.#calls.resolve(message.id, message.value);
        else this.#calls.reject(message.id, message.error);
        return;
      case 'relay': {
        const store = this.#o.stores[message.index];
        const items = message.records ?? [];
        this.#serve(worker, message.id, () => {
          switch (message.method) {
            case 'write':
              return store?.write(items as readonly AccessRecord[]);
            case 'writeJson':
              if (store === undefined || !takesJsonBatches(store)) {
                throw new TypeError('this store does not take JSON batches');
              }
              return store[writeJsonBatch](message.json ?? '[]');
            case 'writeConsents':
              return store?.writeConsents?.(items as readonly ConsentEvent[]);
            case 'init':
              return store?.init?.();
            default:
              return store?.close?.();
          }
        });
        return;
      }
      case 'lookups':
        lookups.serve(message.items);
        return;
      case 'log':
        report(
          this.#o.logger,
          message.level,
          restoreDetails(message.details as Record<string, unknown>),
          message.message,
        );
        return;
      case 'lastError':
        this.#accounting.lastErrors[message.index] = message.message;
        return;
      case 'ids':
        this.visitorIds?.add(message.list);
        return;
    }
  }

  /** Run what the worker asked of this thread and post the answer back to that worker. */
  #serve(worker: Worker, id: number, run: () => unknown): void {
    const answer = (message: ToWorker): void => {
      try {
        worker.postMessage(message);
      } catch {
        // The worker is gone, or the answer cannot be cloned: the worker's own timeout settles it.
      }
    };
    Promise.resolve()
      .then(run)
      .then(
        (value) => answer({ t: 'answer', id, ok: true, value: value === undefined ? null : value }),
        (err: unknown) => answer({ t: 'answer', id, ok: false, error: toSerialError(err) }),
      );
  }

  #storeCall(index: number, method: StoreMethod, args: readonly unknown[]): Promise<unknown> {
    return this.#call((id) => ({ t: 'store', id, index, method, args }));
  }

  #call(make: (id: number) => ToWorker): Promise<unknown> {
    const call = this.#calls.start((id) => {
      if (this.#broken) throw new Error('the logging worker could not be started');
      this.#send(make(id));
    });
    this.#refresh();
    call.then(
      () => this.#refresh(),
      () => this.#refresh(),
    );
    return call;
  }

  #send(message: ToWorker): void {
    const worker = this.#worker;
    if (worker === undefined) {
      this.#outbox.push(message);
      if (message.t === 'batch') this.#outboxRecords += message.count;
      return;
    }
    if (message.t === 'batch') {
      worker.postMessage(message, [message.numbers.buffer as ArrayBuffer]);
      this.#accounting.posted(message.count);
    } else worker.postMessage(message);
  }

  #drop(count: number, reason: DropReason): void {
    for (let i = 0; i < count; i++) this.#accounting.dropped(reason);
  }

  /** Keep the process up exactly while a caller waits on the worker; otherwise let it exit. */
  #refresh(): void {
    const waiting = this.#calls.size > 0;
    if (waiting) this.#worker?.ref();
    else this.#worker?.unref();
    if (waiting && this.#worker === undefined) this.#keepAlive ??= setInterval(() => {}, 2 ** 30);
    else if (this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }
}

function methodsOf(store: Store): StoreOwnMethod[] {
  return REMOTE_METHODS.filter((m) => typeof store[m] === 'function');
}

/**
 * Start the worker thread. When the process's options must be filtered (see
 * {@link workerExecArgv}) and Node refuses what is left (a V8 option given explicitly), the worker
 * starts with none rather than not at all.
 */
function startWorker(entry: URL, workerData: unknown): Worker {
  const name = 'express-privacy-log';
  const execArgv = workerExecArgv(process.execArgv);
  if (execArgv === undefined) return new Worker(entry, { workerData, name });
  try {
    return new Worker(entry, { workerData, name, execArgv });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(entry, { workerData, name, execArgv: [] });
  }
}
