import type { DefinedPolicy } from '../policy/define.js';
import type { Decision } from '../request/decide.js';
import type { SpillSettings } from '../stores/spill-options.js';
import type { WorkerStoreConfig } from '../stores/worker-config.js';
import type { TrustSetting } from './client-address.js';
import type { SerialError } from './errors.js';
import type { AnswerItems, LookupItems } from './lookup-batches.js';

/**
 * The messages between the serving thread and the logger's worker thread. Requests cross in
 * batches ({@link BatchMessage}); everything else is a call with an id and its answer. Every
 * payload is plain data: structured clone is the only copy made.
 */

/** Bumped on any change below: a worker from another build refuses to start. */
export const PROTOCOL_VERSION = 4;

/** The store methods a privacy operation calls across the boundary. */
export type StoreMethod =
  | 'purge'
  | 'read'
  | 'readConsents'
  | 'erase'
  | 'hold'
  | 'release'
  | 'holds'
  | 'disclose'
  | 'disclosures'
  | 'init'
  /** Erase a subject's records buffered by the worker's delivery for this store. */
  | 'eraseBuffered';

/** The store methods a store itself may have (the rest are the delivery's). */
export type StoreOwnMethod = Exclude<StoreMethod, 'eraseBuffered'>;

/**
 * What the traffic reports ask of a worker-built store's rollups: a run over the new records
 * (`update`, args `[nowMs | undefined, openHours]`), buckets to report from (`buckets`, the arguments of
 * `RollupStore.buckets`), and the aggregates' own retention (`purge`, args `[beforeMs]`).
 */
export type RollupOp = 'update' | 'buckets' | 'purge';

/** What a store on the serving thread can be asked by the worker. */
/** `writeJson`: a `write` whose records cross as one JSON text (see stores/json-batches.ts). */
export type RelayMethod = 'write' | 'writeJson' | 'writeConsents' | 'init' | 'close';

/** Where one store of the logger lives, in the order of the `store` option. */
export type StoreSlot =
  /** Built in the worker from its description. */
  | { readonly name: string; readonly where: 'worker'; readonly config: WorkerStoreConfig }
  /** Stays on the serving thread (live objects of the app); the worker sends it batches. */
  | {
      readonly name: string;
      readonly where: 'main';
      readonly methods: readonly RelayMethod[];
      /** The store's disk spill, kept by the worker's delivery on its behalf. */
      readonly spill?: SpillSettings;
    };

/** The options the worker's pipeline needs, as plain data (functions stay on the serving thread). */
export interface PipelineSettings {
  readonly userAgentCacheSize: number;
  readonly enrich: {
    readonly timeoutMs: number;
    readonly concurrency: number;
    readonly cacheSize: number;
    readonly ttlMs: number;
    readonly negativeTtlMs: number;
    /** The app gave a reverse-DNS function: the worker asks the serving thread to call it. */
    readonly reverse: boolean;
    /** The app gave a company resolver: the worker asks the serving thread to call it. */
    readonly company: boolean;
  };
  /**
   * Security investigations: the checkpoint signing key (PKCS#8 PEM) and the investigator's
   * public key (SPKI PEM), as text, since the chain and the sealing run where records are made.
   */
  readonly security: {
    readonly signingKey: string | undefined;
    readonly checkpointEvery: number;
    readonly investigatorKey: string | undefined;
  };
  readonly queue: { readonly maxRecords: number; readonly maxBytes: number };
  readonly batch: { readonly size: number; readonly maxDelayMs: number };
  readonly writeTimeoutMs: number;
  readonly retries: number;
  readonly retryMaxDelayMs: number;
}

/** The worker's `workerData`. */
export interface WorkerSetup {
  readonly protocol: number;
  /** Every policy the logger may decide with (one, or those of a regional policy). */
  readonly policies: readonly DefinedPolicy[];
  readonly secrets: readonly string[];
  readonly settings: PipelineSettings;
  readonly stores: readonly StoreSlot[];
  /** The counters the worker keeps and the serving thread reads (see `shared-stats.ts`). */
  readonly stats: SharedArrayBuffer;
  /** The decisions and trust settings known so far; later ones come with the batches. */
  readonly decisions: readonly Decision[];
  readonly trusts: readonly TrustSetting[];
}

/** New entries of a table that both threads index the same way; `from` is the first index. */
export interface TableUpdate<T> {
  readonly from: number;
  readonly list: readonly T[];
}

/** Finished requests, encoded by `snapshot.ts`. */
export interface BatchMessage {
  readonly t: 'batch';
  readonly count: number;
  readonly numbers: Float64Array;
  readonly strings: readonly (string | undefined)[];
  readonly extras: readonly unknown[];
  readonly decisions: TableUpdate<Decision> | undefined;
  readonly trusts: TableUpdate<TrustSetting> | undefined;
}

/** Messages to the worker. */
export type ToWorker =
  | BatchMessage
  | { readonly t: 'flush'; readonly id: number }
  /** Sign `count` new visitor ids ahead of need (see request/signed-ids.ts). */
  | { readonly t: 'ids'; readonly count: number }
  | { readonly t: 'close'; readonly id: number; readonly timeoutMs: number }
  | {
      readonly t: 'store';
      readonly id: number;
      readonly index: number;
      readonly method: StoreMethod;
      readonly args: readonly unknown[];
    }
  | {
      readonly t: 'rollups';
      readonly id: number;
      readonly index: number;
      readonly op: RollupOp;
      readonly args: readonly unknown[];
    }
  /** Answers to `lookups`, several at once. */
  | { readonly t: 'answers'; readonly items: AnswerItems }
  | Answer;

/** Messages from the worker. */
export type FromWorker =
  /** Set up; per store slot, the methods a worker-built store has. */
  | { readonly t: 'ready'; readonly methods: readonly (readonly StoreMethod[])[] }
  | Answer
  | {
      readonly t: 'relay';
      readonly id: number;
      readonly index: number;
      readonly method: RelayMethod;
      /** The records of `write`, or the consent events of `writeConsents`. */
      readonly records: readonly unknown[] | undefined;
      /** The records of `writeJson`, as the JSON text of an array. */
      readonly json?: string;
    }
  /** Calls of the app's lookup functions, several at once (see lookup-batches.ts). */
  | { readonly t: 'lookups'; readonly items: LookupItems }
  | {
      readonly t: 'log';
      readonly level: 'error' | 'warn' | 'info';
      readonly details: object;
      readonly message: string;
    }
  | { readonly t: 'lastError'; readonly index: number; readonly message: string }
  /** New visitor ids, each followed by its signed cookie value. */
  | { readonly t: 'ids'; readonly list: readonly string[] };

/** The answer to a call, in either direction. */
export type Answer =
  | { readonly t: 'answer'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: 'answer'; readonly id: number; readonly ok: false; readonly error: SerialError };
