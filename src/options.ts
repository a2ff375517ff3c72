import { KeyObject } from 'node:crypto';
import type { Request } from 'express';
import type { CompanyResolver } from './enrich/company.js';
import type { ReverseLookup } from './enrich/domain.js';
import type { DiagnosticLogger } from './logger.js';
import type { PathHook } from './pipeline/process.js';
import type { RegionalPolicy } from './policy/by-region.js';
import { fromZodIssues, nearest, PolicyError } from './policy/errors.js';
import type { PolicyInput } from './policy/schema.js';
import { WARNING_CODES, type WarningCode } from './policy/warnings.js';
import { lazily, type ZodNamespace } from './policy/zod.js';
import type { DetectHook } from './security/detectors.js';
import { isModuleStoreSpec } from './stores/module-store.js';
import type { Store } from './stores/store.js';
import type { PrivacyLogOptions, ResolvedOptions, StoreOption } from './types/options.js';

export type { PrivacyLogOptions, ResolvedOptions, StoreOption };

/**
 * Records per store write when `batch.size` is not given. In worker mode a write holds up only the
 * worker, and larger transactions write each hot page of the SQLite file and its indexes fewer
 * times: 2,000 cost the worker 6 to 10 µs less per request than 500 under the benchmark's load. In
 * process a SQLite write is synchronous on the thread that serves requests, so batches stay short.
 */
export const BATCH_SIZE = { worker: 2000, inProcess: 500 } as const;

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

const isStore = (v: unknown): v is Store =>
  isObject(v) && typeof (v as { write?: unknown }).write === 'function';

const isStoreOption = (v: unknown): v is StoreOption => isStore(v) || isModuleStoreSpec(v);

const isWarningCode = (v: unknown): v is WarningCode =>
  typeof v === 'string' && Object.hasOwn(WARNING_CODES, v);

/** Why a `warnings` setting is refused: the first unknown code, with the nearest real one. */
function warningsProblem(value: unknown): string {
  const codes = Object.keys(WARNING_CODES);
  const unknown = Array.isArray(value) ? value.find((v) => !isWarningCode(v)) : undefined;
  if (typeof unknown !== 'string') {
    return `must be true, false or a list of warning codes (${codes.join(', ')})`;
  }
  const suggestion = nearest(unknown, codes);
  return `${JSON.stringify(unknown)} is not a warning code${suggestion ? `; did you mean "${suggestion}"?` : '.'} Codes: ${codes.join(', ')}`;
}

/**
 * Options of {@link privacyLog}. The public types are written out in types/options.ts, with their
 * documentation; types/schema-check.ts holds the two together.
 *
 * @internal
 */
export function buildOptionsSchema(z: ZodNamespace) {
  const fn = <T>(signature: string) =>
    z.custom<T>((v) => typeof v === 'function', { message: `must be a function ${signature}` });

  /** Lookups after the response: reverse DNS and the registered company. */
  const enrichSchema = z.strictObject({
    /** Reverse DNS; default `node:dns` with one try per query. */
    reverse: fn<ReverseLookup>('(address) => Promise<string[]>').optional(),
    /** Company resolver; default the built-in one over the optional `@ip-location-db/asn` data. */
    company: fn<CompanyResolver>('(address) => string | undefined | Promise<...>').optional(),
    /** A lookup not answered by then leaves the record without it (counted). Default 200 ms. */
    timeoutMs: z.number().int().min(1).max(10_000).default(200),
    /** Reverse-DNS queries in flight at once. Default 16. */
    concurrency: z.number().int().min(1).max(1000).default(16),
    /** Addresses remembered by the reverse-DNS caches (found and not found each). Default 10 000. */
    cacheSize: z.number().int().min(1).default(10_000),
    /** How long a found domain is reused. Default one hour. */
    ttlMs: z.number().int().min(1).default(3_600_000),
    /** How long "no domain" is reused. Default five minutes. */
    negativeTtlMs: z.number().int().min(1).default(300_000),
  });

  const secretSchema = z
    .string()
    .min(16, { message: 'must be at least 16 characters (32 or more random characters advised)' });

  /** Options of {@link privacyLog}; `z.input` of this is the public type. */
  const optionsSchema = z.strictObject({
    /**
     * The policy (a preset, a `definePolicy()` result, or `policyByRegion({...})`); default
     * `presets.gdpr`, the most protective.
     */
    policy: z
      .custom<PolicyInput | RegionalPolicy>(isObject, {
        message: 'must be a policy object, e.g. presets.gdpr, or policyByRegion({ ... })',
      })
      .optional(),
    /**
     * One store or several; default a `SqliteStore` at `./access-log.sqlite`. A store may also be
     * given as `{ module, options }`, loaded from that module (in the worker, in worker mode).
     */
    store: z
      .custom<StoreOption | StoreOption[]>(
        (v) => isStoreOption(v) || (Array.isArray(v) && v.length > 0 && v.every(isStoreOption)),
        {
          message:
            'must be a store (an object with a write(records) method, e.g. new SqliteStore()), { module, options } naming a module that exports one, or a non-empty list of these',
        },
      )
      .optional(),
    /**
     * Process records and write the stores in a worker thread, so that the thread serving requests
     * only reads headers, decides and hands requests over. Stores holding the app's own objects stay
     * on the serving thread. Falls back to in-process (warning `WRN_WORKER_FALLBACK`) when the worker
     * cannot do it, e.g. with a `redactPath` hook. Default: on where `NODE_ENV` is `production`,
     * off elsewhere (tests and development keep records on the thread that makes them, where a
     * debugger and a stack trace follow them). A default that cannot be kept falls back silently;
     * only an explicit `true` warns.
     */
    worker: z.boolean().optional(),
    /** Signs the analytics cookie. A list rotates secrets: the first signs, all verify. */
    secret: z.union([secretSchema, z.array(secretSchema).min(1)]).optional(),
    /**
     * The app's own consent source (a consent-management platform, a session): return true for
     * consent, false for an objection, undefined to let the cookies and signals decide.
     */
    consent: z
      .custom<(req: Request) => boolean | undefined>((v) => typeof v === 'function', {
        message: 'must be a function (req) => boolean | undefined',
      })
      .optional(),
    /** Where the library's own warnings and errors go; default pino to stderr. */
    logger: z
      .custom<DiagnosticLogger>(
        (v) =>
          isObject(v) &&
          typeof (v as DiagnosticLogger).warn === 'function' &&
          typeof (v as DiagnosticLogger).error === 'function',
        { message: 'must be a logger with warn() and error() methods, such as a pino logger' },
      )
      .optional(),
    /** `false` silences every startup warning; a list silences those codes. Default true. */
    warnings: z
      .custom<boolean | WarningCode[]>(
        (v) => typeof v === 'boolean' || (Array.isArray(v) && v.every(isWarningCode)),
        { error: (issue) => warningsProblem(issue.input) },
      )
      .default(true),
    /** Bounds of the in-memory queue, per store. */
    queue: z
      .strictObject({
        maxRecords: z.number().int().min(1).default(10_000),
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(8 * 1024 * 1024),
      })
      .prefault({}),
    /** How records are grouped for writing. */
    batch: z
      .strictObject({
        // No default here: it depends on where the store is written (see BATCH_SIZE).
        size: z.number().int().min(1).max(100_000).optional(),
        maxDelayMs: z.number().int().min(0).max(60_000).default(1000),
      })
      .prefault({}),
    /** A store write that has not settled by then counts as failed and is retried. Default 10 s. */
    writeTimeoutMs: z.number().int().min(1).default(10_000),
    /**
     * Retries of a failed batch before it is dropped and counted (`storeError`). Default unlimited
     * (`Infinity`): a batch is retried for as long as the store's buffer has room, and records are
     * dropped only when the buffer is full or at the `close()` deadline.
     */
    retries: z
      .union([z.number().int().min(0), z.literal(Number.POSITIVE_INFINITY)], {
        message: 'must be a whole number >= 0, or Infinity to retry until the buffer is full',
      })
      .default(Number.POSITIVE_INFINITY),
    /**
     * Cap in ms on one wait between retries (exponential backoff with jitter from 100 ms). Default
     * 30 s; lower it where a process lives briefly or a store recovers fast.
     */
    retryMaxDelayMs: z.number().int().min(0).max(2_147_483_647).default(30_000),
    /**
     * Close the logger on SIGTERM and SIGINT (or the listed `signals`), writing what is buffered
     * within `timeoutMs` (default 10 s), then let the process exit: the signal is raised again
     * unless the app listens for it too. Off by default: signals belong to the app.
     */
    handleSignals: z
      .union([
        z.boolean(),
        z.strictObject({
          signals: z
            .array(z.enum(['SIGTERM', 'SIGINT', 'SIGHUP']))
            .min(1)
            .default(['SIGTERM', 'SIGINT']),
          timeoutMs: z.number().int().min(0).max(2_147_483_647).default(10_000),
        }),
      ])
      .default(false),
    /** Parsed User-Agent strings kept in the LRU cache. Default 20 000 (about 10 MB when full). */
    userAgentCacheSize: z.number().int().min(0).default(20_000),
    /** Reverse DNS and company lookups, for policies that ask for the domain or the company. */
    enrich: enrichSchema.prefault({}),
    /**
     * The last word on a stored path, after the built-in redaction: `(path, { route }) => path`.
     * For ids the built-in rules miss (`/orders/A7K-22`); if it throws, the built-in result is kept.
     */
    redactPath: fn<PathHook>('(path, { route }) => string').optional(),
    /**
     * Security investigations: the app's own attack detector, run in the background beside the
     * built-in ones: `({ method, target, userAgent, status, timeMs }) => reason | reasons | undefined`.
     */
    /**
     * Security investigations: `signingKey` is the Ed25519 private key (a KeyObject or PEM text)
     * that signs checkpoints of the security records' hash chain, one on every `checkpointEvery`-th
     * flagged record (default: every one; flagged requests are rare and a signature is cheap).
     */
    security: z
      .strictObject({
        signingKey: z
          .custom<KeyObject | string>(
            (v) =>
              typeof v === 'string' ||
              (v instanceof KeyObject && v.type === 'private' && v.asymmetricKeyType === 'ed25519'),
            { message: 'must be an Ed25519 private key: a KeyObject or PEM text' },
          )
          .optional(),
        checkpointEvery: z.number().int().min(1).max(1_000_000).default(1),
        /**
         * The investigator's X25519 public key (KeyObject or PEM text), for a policy whose
         * `categories.security.ip` is `'sealed'`: flagged records keep the address encrypted to it.
         */
        investigatorKey: z
          .custom<KeyObject | string>((v) => typeof v === 'string' || v instanceof KeyObject, {
            message: 'must be an X25519 public key: a KeyObject or PEM text',
          })
          .optional(),
      })
      .prefault({}),
    detect: fn<DetectHook>(
      '({ method, target, userAgent, status, timeMs }) => string | string[]',
    ).optional(),
    /**
     * The retention schedule: `purge(now)` on every store that has it, then a review of legal holds.
     * Turn it off (`enabled: false`) when retention runs elsewhere, such as the command line from
     * cron; `logger.purge()` still works.
     */
    retention: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Time between runs. Default one hour; at least one second. */
        intervalMs: z.number().int().min(1000).max(2_147_483_647).default(3_600_000),
        /** Up to this much is added at random to each wait, so instances spread out. Default 5 min. */
        jitterMs: z.number().int().min(0).max(86_400_000).default(300_000),
      })
      .prefault({}),
  });
  return optionsSchema;
}

/**
 * The options schema, built on first use (zod loads with it).
 *
 * @internal
 */
export const optionsSchema = lazily(buildOptionsSchema);

/** Validate options once, at construction; throws {@link PolicyError} naming each bad key. */
export function parseOptions(input: unknown): ResolvedOptions {
  const schema = optionsSchema();
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new PolicyError(fromZodIssues(parsed.error.issues, schema, input, ''));
  }
  return parsed.data;
}
