import type { DiagnosticLogger } from '../logger.js';
import { BATCH_SIZE, type ResolvedOptions } from '../options.js';
import { consentOfCaptured } from '../privacy/consent-ledger.js';
import { type Captured, capturedSize } from '../request/capture.js';
import type { PolicyRuntime } from '../runtime.js';
import { eraseBufferedOf, spillOf } from '../stores/spill-options.js';
import type { Store, Subject } from '../stores/store.js';
import { type CloseOptions, Dispatcher, type DispatcherStats } from './dispatcher.js';
import { type EnrichmentStats, EnrichStage } from './enrich-stage.js';
import type { Lookups } from './lookups.js';

/** The counters of a pipeline: the dispatcher's, and those of the enrichment before it. */
export interface PipelineStats extends DispatcherStats {
  enrichment: EnrichmentStats;
}

/**
 * Where finished requests go: processed, enriched and written, on the serving thread or in a
 * worker. The middleware only pushes, and asks for flush, close and the counters.
 */
export interface RecordPipeline {
  /** Take a finished request. Synchronous, never throws, never does I/O. */
  push(c: Captured): void;
  /** Resolves once every request pushed so far is written or dropped (counted). Never rejects. */
  flush(): Promise<void>;
  /**
   * Like {@link flush}, for the named stores only and within `timeoutMs`: a visitor's privacy
   * request must not wait for another store's retries. Never rejects.
   */
  flushStores(stores: readonly string[], timeoutMs: number): Promise<unknown>;
  /** Flush within the deadline, then close the stores. Never rejects. */
  close(options?: CloseOptions): Promise<void>;
  /** The counters; synchronous. */
  stats(): PipelineStats;
  /** The stores as the privacy operations (retention, holds, subject rights) reach them. */
  readonly stores: readonly Store[];
}

/** What {@link inProcessPipeline} builds on. */
export interface InProcessDeps {
  readonly stores: readonly Store[];
  /** The runtime of the policy that decided a request. */
  readonly runtimeOf: (c: Captured) => PolicyRuntime;
  /** The one runtime, when there is only one: its processor is called without the lookup. */
  readonly only: PolicyRuntime | undefined;
  readonly lookups: Lookups;
  /** Awaited before the first record is processed (GeoIP data). */
  readonly ready: Promise<unknown> | undefined;
  readonly logger: DiagnosticLogger;
  readonly options: ResolvedOptions;
}

/** The pipeline on the serving thread: the enrichment stage, then the dispatcher. */
export function inProcessPipeline(deps: InProcessDeps): RecordPipeline {
  const { options: opts, runtimeOf, only, lookups } = deps;
  const dispatcher = new Dispatcher<Captured>({
    stores: deps.stores,
    process: only ? only.process : (c) => runtimeOf(c).process(c),
    consentOf: consentOfCaptured((c) => runtimeOf(c).compiled.ledgerRetentionMs),
    sizeOf: capturedSize,
    ...(deps.ready ? { ready: deps.ready } : {}),
    logger: deps.logger,
    maxRecords: opts.queue.maxRecords,
    maxBytes: opts.queue.maxBytes,
    batchSize: opts.batch.size ?? BATCH_SIZE.inProcess,
    maxDelayMs: opts.batch.maxDelayMs,
    writeTimeoutMs: opts.writeTimeoutMs,
    maxRetries: opts.retries,
    retryMaxMs: opts.retryMaxDelayMs,
  });
  const stage = new EnrichStage({
    sink: (c) => dispatcher.push(c),
    plan: (c) => runtimeOf(c).plan(c),
    skip: (c) => runtimeOf(c).skip(c),
    domains: lookups.domains,
    company: lookups.company,
    companyReady: lookups.companyReady,
    companyFixed: lookups.companyFixed,
    timeoutMs: opts.enrich.timeoutMs,
    maxPending: opts.queue.maxRecords,
    logger: deps.logger,
  });
  return {
    stores: deps.stores.map((store, i) => withBufferedErasure(store, dispatcher, i)),
    push: (c) => stage.push(c),
    async flush() {
      await stage.drain();
      await dispatcher.flush();
    },
    async flushStores(stores, timeoutMs) {
      await stage.drain();
      return dispatcher.flush({ stores, timeoutMs });
    },
    async close(closeOptions) {
      stage.close();
      await dispatcher.close(closeOptions);
    },
    stats: () => ({ ...dispatcher.stats(), enrichment: stage.stats() }),
  };
}

/**
 * A store with a disk spill, as the privacy operations see it: the same store (a proxy, so that
 * its private fields keep working), plus the erasure of what is still buffered for it.
 */
function withBufferedErasure(store: Store, dispatcher: Dispatcher<Captured>, index: number): Store {
  if (spillOf(store) === undefined) return store;
  const erase = (subject: Subject): Promise<number> =>
    dispatcher.eraseBuffered(dispatcher.stats().stores[index]?.name ?? '', subject);
  return new Proxy(store, {
    get(target, key) {
      if (key === eraseBufferedOf) return erase;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
