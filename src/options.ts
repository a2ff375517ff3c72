import type { Request } from 'express';
import { z } from 'zod';
import type { DiagnosticLogger } from './logger.js';
import { fromZodIssues, PolicyError } from './policy/errors.js';
import type { PolicyInput } from './policy/schema.js';
import type { Store } from './stores/store.js';

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

const isStore = (v: unknown): v is Store =>
  isObject(v) && typeof (v as { write?: unknown }).write === 'function';

const secretSchema = z
  .string()
  .min(16, { message: 'must be at least 16 characters (32 or more random characters advised)' });

/** Options of {@link privacyLog}; `z.input` of this is the public type. */
export const optionsSchema = z.strictObject({
  /** The policy (a preset or `definePolicy()` result); default `presets.gdpr`, the most protective. */
  policy: z
    .custom<PolicyInput>(isObject, { message: 'must be a policy object, e.g. presets.gdpr' })
    .optional(),
  /** One store or several; default a `SqliteStore` at `./access-log.sqlite`. */
  store: z
    .custom<Store | Store[]>(
      (v) => isStore(v) || (Array.isArray(v) && v.length > 0 && v.every(isStore)),
      {
        message:
          'must be a store (an object with a write(records) method, e.g. new SqliteStore()) or a non-empty list of stores',
      },
    )
    .optional(),
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
  warnings: z.union([z.boolean(), z.array(z.string().regex(/^WRN_[A-Z0-9_]+$/))]).default(true),
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
      size: z.number().int().min(1).max(100_000).default(500),
      maxDelayMs: z.number().int().min(0).max(60_000).default(1000),
    })
    .prefault({}),
  /** A store write that has not settled by then counts as failed and is retried. Default 10 s. */
  writeTimeoutMs: z.number().int().min(1).default(10_000),
  /** Retries of a failed batch before it is dropped and counted. Default 5. */
  retries: z.number().int().min(0).max(100).default(5),
  /** Parsed User-Agent strings kept in the LRU cache. Default 5000. */
  userAgentCacheSize: z.number().int().min(0).default(5000),
});

export type PrivacyLogOptions = z.input<typeof optionsSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema>;

/** Validate options once, at construction; throws {@link PolicyError} naming each bad key. */
export function parseOptions(input: unknown): ResolvedOptions {
  const parsed = optionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new PolicyError(fromZodIssues(parsed.error.issues, optionsSchema, input, ''));
  }
  return parsed.data;
}
