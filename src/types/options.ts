// The options of privacyLog(), as a user writes them and as validation leaves them. Written by hand
// so that each option keeps its documentation in an editor; schema-check.ts proves they match the
// zod schema in options.ts.
import type { KeyObject } from 'node:crypto';
import type { Request } from 'express';
import type { CompanyResolver } from '../enrich/company.js';
import type { ReverseLookup } from '../enrich/domain.js';
import type { DiagnosticLogger } from '../logger.js';
import type { LookupSettings } from '../pipeline/lookups.js';
import type { PathHook } from '../pipeline/process.js';
import type { RegionalPolicy } from '../policy/by-region.js';
import type { WarningCode } from '../policy/warnings.js';
import type { DetectHook } from '../security/detectors.js';
import type { Store } from '../stores/store.js';
import type { ModuleStoreSpec } from '../stores/worker-config.js';
import type { PolicyInput } from './policy-input.js';

/** A store, or a module to load one from. */
export type StoreOption = Store | ModuleStoreSpec;

/** Lookups after the response: reverse DNS and the registered company. */
export interface EnrichOptions {
  /** Reverse DNS; default `node:dns` with one try per query. */
  reverse?: ReverseLookup | undefined;
  /** Company resolver; default the built-in one over the optional `@ip-location-db/asn` data. */
  company?: CompanyResolver | undefined;
  /** A lookup not answered by then leaves the record without it (counted). Default 200 ms. */
  timeoutMs?: number | undefined;
  /** Reverse-DNS queries in flight at once. Default 16. */
  concurrency?: number | undefined;
  /** Addresses remembered by the reverse-DNS caches (found and not found each). Default 10 000. */
  cacheSize?: number | undefined;
  /** How long a found domain is reused, in ms. Default one hour. */
  ttlMs?: number | undefined;
  /** How long "no domain" is reused, in ms. Default five minutes. */
  negativeTtlMs?: number | undefined;
}

/** Closing the logger on a signal. */
export interface SignalOptions {
  /** The signals to handle. Default `['SIGTERM', 'SIGINT']`. */
  signals?: ('SIGTERM' | 'SIGINT' | 'SIGHUP')[] | undefined;
  /** How long buffered records may take to be written, in ms. Default 10 s. */
  timeoutMs?: number | undefined;
}

/** Security investigations: signed checkpoints and sealed addresses. */
export interface SecurityOptions {
  /**
   * The Ed25519 private key (a KeyObject or PEM text) that signs checkpoints of the security
   * records' hash chain.
   */
  signingKey?: KeyObject | string | undefined;
  /** A checkpoint on every `checkpointEvery`-th flagged record. Default 1 (every one). */
  checkpointEvery?: number | undefined;
  /**
   * The investigator's X25519 public key (KeyObject or PEM text), for a policy whose
   * `categories.security.ip` is `'sealed'`: flagged records keep the address encrypted to it.
   */
  investigatorKey?: KeyObject | string | undefined;
}

/** The retention schedule. */
export interface RetentionOptions {
  /** Run retention in this process. Default true; turn it off when cron runs the CLI instead. */
  enabled?: boolean | undefined;
  /** Time between runs, in ms. Default one hour; at least one second. */
  intervalMs?: number | undefined;
  /** Up to this much (ms) is added at random to each wait, so instances spread out. Default 5 min. */
  jitterMs?: number | undefined;
}

/** Options of `privacyLog()`; every one may be left out. */
export interface PrivacyLogOptions {
  /**
   * The policy (a preset, a `definePolicy()` result, or `policyByRegion({...})`); default
   * `presets.gdpr`, the most protective.
   */
  policy?: PolicyInput | RegionalPolicy | undefined;
  /**
   * One store or several; default a `SqliteStore` at `./access-log.sqlite`. A store may also be
   * given as `{ module, options }`, loaded from that module (in the worker, in worker mode).
   */
  store?: StoreOption | StoreOption[] | undefined;
  /**
   * Process records and write the stores in a worker thread, so that the thread serving requests
   * only reads headers, decides and hands requests over. Falls back to in-process (warning
   * `WRN_WORKER_FALLBACK`) when the worker cannot do it, e.g. with a `redactPath` hook. Default:
   * on where `NODE_ENV` is `production` (falling back silently when it cannot be kept), off
   * elsewhere.
   */
  worker?: boolean | undefined;
  /**
   * Signs the analytics cookie (at least 16 characters, 32 or more random ones advised). A list
   * rotates secrets: the first signs, all verify.
   */
  secret?: string | string[] | undefined;
  /**
   * The app's own consent source (a consent-management platform, a session): return true for
   * consent, false for an objection, undefined to let the cookies and signals decide.
   */
  consent?: ((req: Request) => boolean | undefined) | undefined;
  /** Where the library's own warnings and errors go; default pino to stderr. */
  logger?: DiagnosticLogger | undefined;
  /** `false` silences every startup warning; a list silences those codes. Default true. */
  warnings?: boolean | WarningCode[] | undefined;
  /** Bounds of the in-memory queue, per store. */
  queue?:
    | {
        /** Records waiting at most. Default 10 000. */
        maxRecords?: number | undefined;
        /** Bytes waiting at most (at least 1024). Default 8 MiB. */
        maxBytes?: number | undefined;
      }
    | undefined;
  /** How records are grouped for writing. */
  batch?:
    | {
        /**
         * Records per write. Default 2,000 in worker mode, where a write holds up only the worker,
         * and 500 in process, where a SQLite write blocks the thread that serves requests.
         */
        size?: number | undefined;
        /** A batch is written at the latest this long (ms) after its first record. Default 1 s. */
        maxDelayMs?: number | undefined;
      }
    | undefined;
  /** A store write that has not settled by then (ms) counts as failed and is retried. Default 10 s. */
  writeTimeoutMs?: number | undefined;
  /**
   * Retries of a failed batch before it is dropped and counted (`storeError`). Default unlimited
   * (`Infinity`): a batch is retried for as long as the store's buffer has room, and records are
   * dropped only when the buffer is full or at the `close()` deadline.
   */
  retries?: number | undefined;
  /**
   * Cap in ms on one wait between retries (exponential backoff with jitter from 100 ms). Default
   * 30 s; lower it where a process lives briefly or a store recovers fast.
   */
  retryMaxDelayMs?: number | undefined;
  /**
   * Close the logger on SIGTERM and SIGINT (or the listed `signals`), writing what is buffered
   * within `timeoutMs`, then let the process exit. Off by default: signals belong to the app.
   */
  handleSignals?: boolean | SignalOptions | undefined;
  /** Parsed User-Agent strings kept in the LRU cache. Default 20 000 (about 10 MB when full). */
  userAgentCacheSize?: number | undefined;
  /** Reverse DNS and company lookups, for policies that ask for the domain or the company. */
  enrich?: EnrichOptions | undefined;
  /**
   * The last word on a stored path, after the built-in redaction: `(path, { route }) => path`.
   * For ids the built-in rules miss (`/orders/A7K-22`); if it throws, the built-in result is kept.
   */
  redactPath?: PathHook | undefined;
  /** Security investigations: checkpoint signatures and the investigator's key. */
  security?: SecurityOptions | undefined;
  /**
   * The app's own attack detector, run in the background beside the built-in ones:
   * `({ method, target, userAgent, status, timeMs }) => reason | reasons | undefined`.
   */
  detect?: DetectHook | undefined;
  /**
   * The retention schedule: `purge(now)` on every store that has it, then a review of legal holds.
   * Turn it off (`enabled: false`) when retention runs elsewhere, such as the command line from
   * cron; `logger.purge()` still works.
   */
  retention?: RetentionOptions | undefined;
}

/** {@link PrivacyLogOptions} after validation, with every default filled in. Internal. */
export interface ResolvedOptions {
  policy?: PolicyInput | RegionalPolicy | undefined;
  store?: StoreOption | StoreOption[] | undefined;
  worker?: boolean | undefined;
  secret?: string | string[] | undefined;
  consent?: ((req: Request) => boolean | undefined) | undefined;
  logger?: DiagnosticLogger | undefined;
  warnings: boolean | WarningCode[];
  queue: { maxRecords: number; maxBytes: number };
  batch: { size?: number | undefined; maxDelayMs: number };
  writeTimeoutMs: number;
  retries: number;
  retryMaxDelayMs: number;
  handleSignals: boolean | { signals: ('SIGTERM' | 'SIGINT' | 'SIGHUP')[]; timeoutMs: number };
  userAgentCacheSize: number;
  enrich: LookupSettings;
  redactPath?: PathHook | undefined;
  security: {
    signingKey?: KeyObject | string | undefined;
    checkpointEvery: number;
    investigatorKey?: KeyObject | string | undefined;
  };
  detect?: DetectHook | undefined;
  retention: { enabled: boolean; intervalMs: number; jitterMs: number };
}
