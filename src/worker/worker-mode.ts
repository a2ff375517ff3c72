import type { KeyObject } from 'node:crypto';
import type { DiagnosticLogger } from '../logger.js';
import { BATCH_SIZE, type ResolvedOptions } from '../options.js';
import type { DefinedPolicy } from '../policy/define.js';
import type { Warnings } from '../policy/warnings.js';
import { takesJsonBatches } from '../stores/json-batches.js';
import { spillOf } from '../stores/spill-options.js';
import { type Store, storeName } from '../stores/store.js';
import { workerConfigOf } from '../stores/worker-config.js';
import { TrustSettings } from './client-address.js';
import { workerEntry } from './entry-url.js';
import type { PipelineSettings, RelayMethod, StoreSlot } from './protocol.js';
import { WorkerPipeline } from './worker-pipeline.js';

/** Requests per batch that crosses to the worker. */
const HANDOVER_RECORDS = 256;
/** The longest in ms a finished request waits on the serving thread before it crosses. */
const HANDOVER_MS = 20;

/** What {@link startWorkerPipeline} needs from the middleware. */
export interface WorkerModeInput {
  readonly options: ResolvedOptions;
  readonly policies: readonly DefinedPolicy[];
  readonly secrets: readonly string[];
  /** The stores as given (a module store as its {@link ModuleStore} placeholder). */
  readonly stores: readonly Store[];
  readonly logger: DiagnosticLogger;
  readonly warnings: Warnings;
  /**
   * True when the app asked for worker mode (`worker: true`): a fallback is then worth a warning.
   * Worker mode by default (in production) falls back silently, as the documentation says.
   */
  readonly explicit: boolean;
}

/**
 * Plan and start worker mode. What runs where:
 *
 * - Serving thread: reading headers, the decision (with the app's consent function), cookies, and
 *   `req.ip` when a regional policy must place the request or the app's `trust proxy` is a
 *   function; stores that hold the app's live objects (a `MemoryStore`, a store given a `pg.Pool`
 *   or a connected client, any custom store object): the worker sends them their batches; the
 *   app's reverse-DNS and company functions: the worker calls them here; the diagnostic logger.
 * - Worker: the client address (from the socket address and `X-Forwarded-For`), User-Agent and
 *   GeoIP, reverse DNS and company lookups, minimisation, records, batching, retries, and the
 *   stores built from plain data (`SqliteStore({ path })`, `PostgresStore({ connectionString })`,
 *   `RedisStreamStore({ url })`, `{ module, options }`).
 *
 * Falls back to the pipeline on the serving thread, with `WRN_WORKER_FALLBACK` and the reason,
 * when the worker cannot do the processing: a `redactPath` or `detect` hook (a synchronous
 * function of the app, called for every record), a policy or store description that cannot be copied to another
 * thread, or no compiled worker file. Returns undefined then.
 */
export function startWorkerPipeline(
  input: WorkerModeInput,
): { pipeline: WorkerPipeline; trusts: TrustSettings } | undefined {
  const { options: opts, warnings } = input;
  const fallback = (reason: string): undefined => {
    if (input.explicit) warnings.emit('WRN_WORKER_FALLBACK', { reason });
    return undefined;
  };
  if (opts.redactPath !== undefined) {
    return fallback('redactPath is a function called for every record, where records are made');
  }
  if (opts.detect !== undefined) {
    return fallback('detect is a function called for every record, where records are flagged');
  }
  const entry = workerEntry();
  if (entry === undefined) {
    return fallback('the compiled worker file (dist/worker/entry.js) is missing: run the build');
  }
  const slots = input.stores.map(slotOf);
  const settings = settingsOf(opts);
  try {
    structuredClone({ policies: input.policies, slots, settings });
  } catch (err) {
    return fallback(`the policy or a store description cannot be copied to a thread: ${err}`);
  }
  const trusts = new TrustSettings();
  const pipeline = new WorkerPipeline({
    entry,
    policies: input.policies,
    secrets: input.secrets,
    settings,
    slots,
    stores: input.stores,
    names: displayNames(input.stores),
    logger: input.logger,
    reverse: opts.enrich.reverse,
    company: opts.enrich.company,
    trusts,
    handover: { records: HANDOVER_RECORDS, delayMs: Math.min(HANDOVER_MS, opts.batch.maxDelayMs) },
    maxWaiting: opts.queue.maxRecords,
    signIds:
      input.secrets.length > 0 &&
      input.policies.some((p) => p.categories.nonessential?.visitor === 'cookie'),
  });
  return { pipeline, trusts };
}

function slotOf(store: Store): StoreSlot {
  const name = storeName(store);
  const config = workerConfigOf(store);
  if (config !== undefined) return { name, where: 'worker', config };
  const methods: RelayMethod[] = ['write'];
  if (takesJsonBatches(store)) methods.push('writeJson');
  if (typeof store.init === 'function') methods.push('init');
  if (typeof store.close === 'function') methods.push('close');
  if (typeof store.writeConsents === 'function') methods.push('writeConsents');
  const spill = spillOf(store);
  return spill === undefined
    ? { name, where: 'main', methods }
    : { name, where: 'main', methods, spill: { ...spill } };
}

function settingsOf(opts: ResolvedOptions): PipelineSettings {
  const { enrich } = opts;
  return {
    userAgentCacheSize: opts.userAgentCacheSize,
    enrich: {
      timeoutMs: enrich.timeoutMs,
      concurrency: enrich.concurrency,
      cacheSize: enrich.cacheSize,
      ttlMs: enrich.ttlMs,
      negativeTtlMs: enrich.negativeTtlMs,
      reverse: enrich.reverse !== undefined,
      company: enrich.company !== undefined,
    },
    security: {
      signingKey: pem(opts.security.signingKey, 'private'),
      checkpointEvery: opts.security.checkpointEvery,
      investigatorKey: pem(opts.security.investigatorKey, 'public'),
    },
    queue: { ...opts.queue },
    batch: { size: opts.batch.size ?? BATCH_SIZE.worker, maxDelayMs: opts.batch.maxDelayMs },
    writeTimeoutMs: opts.writeTimeoutMs,
    retries: opts.retries,
    retryMaxDelayMs: opts.retryMaxDelayMs,
  };
}

/** A key as PEM text, which crosses to the worker as any string does. */
function pem(key: KeyObject | string | undefined, kind: 'private' | 'public'): string | undefined {
  if (key === undefined || typeof key === 'string') return key;
  return String(
    key.export(
      kind === 'private' ? { type: 'pkcs8', format: 'pem' } : { type: 'spki', format: 'pem' },
    ),
  );
}

/** Names as the dispatcher gives them: the second store of a name is `Name#2`. */
function displayNames(stores: readonly Store[]): string[] {
  const seen = new Map<string, number>();
  return stores.map((store) => {
    const base = storeName(store);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}
