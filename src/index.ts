// The public surface. Everything exported here is part of the stable contract (DESIGN.md).

export type { DiagnosticLogger } from './logger.js';
/** The middleware factory and its type. */
export { type PrivacyLogMiddleware, privacyLog } from './middleware.js';
/** Options, for users who build them in a typed object before passing them. */
export type { PrivacyLogOptions } from './options.js';
export type { DispatcherStats, StoreStats } from './pipeline/dispatcher.js';
/** Policies: define, validate, extend the presets. */
export { type DefinedPolicy, definePolicy } from './policy/define.js';
export { PolicyError, type PolicyIssue } from './policy/errors.js';
export { presets } from './policy/presets.js';
export type { Policy, PolicyInput } from './policy/schema.js';
export { WARNING_CODES, type WarningCode } from './policy/warnings.js';
export type { RouterOptions } from './privacy/router.js';
/** The record and its categories, for store authors and readers. */
export {
  type AccessRecord,
  CATEGORIES,
  type Category,
  type ClientInfo,
  type EssentialInfo,
  type GeoInfo,
  type NonessentialInfo,
  RECORD_VERSION,
  type SecurityInfo,
} from './record.js';
export type { Decision } from './request/decide.js';
export type { PrivacyLogHandle } from './request/handle.js';
/** Built-in stores; PostgreSQL and Redis come from their own subpaths. */
export { MemoryStore } from './stores/memory-store.js';
export { NdjsonStore } from './stores/ndjson-store.js';
export { SqliteStore } from './stores/sqlite-store.js';
export type { PurgeResult, ReadQuery, Store, Subject } from './stores/store.js';
