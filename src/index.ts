// The public surface. Everything exported here is part of the stable contract (DESIGN.md).

/** Enrichment: the company resolver contract and the credit its built-in data needs. */
export {
  ASN_ATTRIBUTION,
  type AsnDataFiles,
  type CompanyResolver,
  loadAsnResolver,
} from './enrich/company.js';
export type { DomainStats, ReverseLookup } from './enrich/domain.js';
export type { DiagnosticLogger } from './logger.js';
/** The middleware factory and its type. */
export {
  type PrivacyLogMiddleware,
  type PrivacyLogStats,
  privacyLog,
} from './middleware.js';
export type { DispatcherStats, StoreStats } from './pipeline/dispatcher.js';
export type { EnrichmentStats } from './pipeline/enrich-stage.js';
export type { PathHook } from './pipeline/process.js';
/** Region-aware policies. */
export {
  EU_REGION,
  policyByRegion,
  type RegionalPolicy,
  type RegionKey,
} from './policy/by-region.js';
/** Policies: define, validate, extend the presets. */
export { type DefinedPolicy, definePolicy } from './policy/define.js';
export { PolicyError, type PolicyIssue } from './policy/errors.js';
export { type Presets, presets } from './policy/presets.js';
export type { LegalBasis } from './policy/schema.js';
export { WARNING_CODES, type WarningCode } from './policy/warnings.js';
export { SubjectRefusedError } from './privacy/address-subjects.js';
/** Privacy operations: legal holds, retention reports, subject rights, the notice. */
export type {
  HoldChanges,
  HoldInput,
  HoldPlacement,
  HoldStatus,
  HoldsApi,
} from './privacy/holds.js';
export type { RouterNoticeOptions, RouterOptions } from './privacy/http/router.js';
export { type NoticeOptions, renderNotice } from './privacy/notice/notice.js';
export {
  type ProcessingActivity,
  type ProcessingRecord,
  type ProcessingRecordOptions,
  processingRecord,
  type RenderProcessingRecordOptions,
  renderProcessingRecord,
} from './privacy/notice/processing-record.js';
export type { RetentionReport, StorePurgeReport } from './privacy/retention.js';
export type {
  ExportedRecord,
  SubjectErasure,
  SubjectExport,
  SubjectKey,
  SubjectRequestOptions,
  SubjectsApi,
  UnavailableStore,
} from './privacy/subjects.js';
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
/** Traffic reports: rollups, their stores and what a report holds. */
export type { DashboardOptions } from './reports/dashboard/router.js';
export type { ReportsApi } from './reports/reports-api.js';
export { MemoryRollups, type RollupStore } from './reports/rollup-store.js';
export type { BreakdownRow, Figure } from './reports/suppress.js';
export type {
  BreakdownBy,
  TrafficPoint,
  TrafficQuery,
  TrafficReport,
  TrafficTotals,
} from './reports/traffic.js';
export type { Decision } from './request/decide.js';
export type { PrivacyLogHandle } from './request/handle.js';
export type { SecurityApi } from './security/api.js';
export { readBundleDir } from './security/bundle-files.js';
export {
  type BundleProblem,
  type BundleReport,
  verifyBundle,
} from './security/bundle-verify.js';
export { EvidenceError } from './security/evidence-error.js';
export type { EvidenceExportOptions, EvidenceExportResult } from './security/export.js';
export { openSealed, SealError } from './security/seal.js';
/** Built-in stores; PostgreSQL and Redis come from their own subpaths. */
export type { ConsentEvent, ConsentQuery, ConsentSource } from './stores/consent-events.js';
export { MemoryStore } from './stores/memory/store.js';
export { NdjsonStore } from './stores/ndjson/store.js';
export { SqliteStore } from './stores/sqlite/store.js';
export type {
  Disclosure,
  DisclosureScope,
  EraseResult,
  Hold,
  HoldScope,
  PurgeResult,
  ReadQuery,
  Store,
  Subject,
} from './stores/store.js';
export type { DetectInput, DetectSettings } from './types/detect.js';
/** Options, for users who build them in a typed object before passing them. */
export type {
  EnrichOptions,
  PrivacyLogOptions,
  RetentionOptions,
  SecurityOptions,
  SignalOptions,
  StoreOption,
} from './types/options.js';
/** The policy as validated, category by category. */
export type {
  CategoryName,
  ClientCategory,
  EssentialCategory,
  IpSettings,
  NonessentialCategory,
  OptionalCategory,
  Policy,
  PolicyCategories,
  SecurityCategory,
} from './types/policy.js';
/** The policy as written, category by category. */
export type {
  ClientCategoryInput,
  EssentialCategoryInput,
  IpInput,
  NonessentialCategoryInput,
  NoticeInput,
  OptionalCategoryInput,
  PolicyCategoriesInput,
  PolicyInput,
  SecurityCategoryInput,
} from './types/policy-input.js';
