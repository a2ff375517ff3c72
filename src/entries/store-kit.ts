// `express-privacy-log/store-kit`: what a store of your own needs to keep the same promises as the
// built-in ones. The built-in stores use these very functions, so a plugin that does too agrees
// with them record for record on retention, legal holds and whose records are whose. The store
// contract in `express-privacy-log/testing` checks the result.

/** The record a store keeps, and its categories. */
export {
  type AccessRecord,
  CATEGORIES,
  type Category,
  RECORD_VERSION,
} from '../record.js';
/** Legal holds: which records a hold covers, which records are held, and a hold's canonical form. */
export {
  isHeld,
  isReviewDue,
  matchesHoldScope,
  normalizeHold,
  normalizeScope,
} from '../stores/hold-scope.js';
/** Retention: what is left of a record at a given time, and the counts a purge reports. */
export {
  applyRetention,
  compareRecords,
  countOutcome,
  emptyPurgeResult,
  isExpired,
  matchesQuery,
  matchesSubject,
  normalizeAddress,
  normalizeEmail,
  type RetentionOutcome,
  STRIPPABLE_CATEGORIES,
  subjectValue,
} from '../stores/retention.js';
/** The interface a store implements, and what its methods take and return. */
export type {
  EraseResult,
  Hold,
  HoldScope,
  MaybePromise,
  PurgeResult,
  ReadQuery,
  Store,
  Subject,
} from '../stores/store.js';
/**
 * A store loaded from a module (`store: { module, options }`, or the command line's
 * `--store module:<path>`): the module's export is a class or a factory taking `options`.
 */
export type { ModuleStoreSpec } from '../stores/worker-config.js';
/**
 * How a store offers itself to the logger's worker thread: a method under `toWorkerConfig` that
 * returns `{ kind: 'module', options: { module, options } }` lets the worker build its own copy.
 */
export { toWorkerConfig, type WorkerStoreConfig } from '../stores/worker-config.js';
