import type { DiagnosticLogger } from '../logger.js';
import type { DefinedPolicy } from '../policy/define.js';
import type { Warnings } from '../policy/warnings.js';
import { report } from '../shared/store-call.js';
import { isReviewDue } from '../stores/hold-scope.js';
import type { Store } from '../stores/store.js';
import { addressRefusal } from './address-subjects.js';
import { createHoldsApi, type HoldsApi } from './holds.js';
import { purgeStores, type RetentionReport, RetentionScheduler } from './retention.js';
import { StoreSet } from './store-set.js';
import { createSubjectsApi, type FlushStores, type SubjectsApi } from './subjects.js';

/** The retention settings of the logger (see the `retention` option). */
export interface RetentionSettings {
  enabled: boolean;
  intervalMs: number;
  jitterMs: number;
}

/** What the logger needs to run the privacy operations. */
export interface OperationsDeps {
  stores: readonly Store[];
  logger: DiagnosticLogger;
  warnings: Warnings;
  /** Write out what is buffered for the named stores, within a bound (the dispatcher's flush). */
  flush: FlushStores;
  retention: RetentionSettings;
  /** Default: the system clock. */
  clock?: () => Date;
  /** The logger's policies: whether they keep full addresses decides if `{ ip }` is a subject. */
  policies?: readonly DefinedPolicy[];
  /**
   * Traffic reports: the time retention may apply up to (the rollup watermark when it is earlier
   * than `now`), so that no record expires before it is rolled up. Never rejects.
   */
  purgeUpTo?: (now: Date) => Promise<Date>;
}

/** The privacy operations of one logger: retention, holds and subject rights. */
export interface PrivacyOperations {
  /** Apply retention in every store at `now` and review the holds; never rejects. */
  purge(now?: Date): Promise<RetentionReport>;
  holds: HoldsApi;
  subjects: SubjectsApi;
  /** The stores, for security verification. */
  storeSet: StoreSet;
  /** Stop the schedule and wait for running operations (at most `timeoutMs`). */
  close(timeoutMs: number): Promise<void>;
}

/**
 * The first run waits a minute: long enough to stay out of the way of startup, short enough that an
 * app restarted every few minutes (a deploy loop, a serverless host) still applies retention.
 */
const FIRST_RUN_MS = 60_000;

/**
 * How long `logger.subjects` waits for the stores by default. An operator can wait longer than a
 * visitor (the privacy routes pass their own, shorter bound), but not for a store's retries to run
 * out, which takes minutes with the default delivery settings.
 */
const SUBJECT_TIMEOUT_MS = 30_000;

/** Wire retention, holds and subject rights for a logger, and start the retention schedule. */
export function createOperations(deps: OperationsDeps): PrivacyOperations {
  const clock = deps.clock ?? (() => new Date());
  const set = new StoreSet(deps.stores);
  const refusal = addressRefusal(deps.policies ?? []);
  const holds = createHoldsApi(set, clock, refusal);
  const subjects = createSubjectsApi(
    set,
    deps.flush,
    clock,
    { timeoutMs: SUBJECT_TIMEOUT_MS },
    refusal,
  );

  /** Warn once per hold (and review date) whose review is due; extending it re-arms the warning. */
  const reviewHolds = async (now: Date): Promise<void> => {
    if (set.closed || set.with('hold', 'release', 'holds').length === 0) return;
    try {
      for (const hold of await holds.list()) {
        if (!isReviewDue(hold, now)) continue;
        deps.warnings.emitFor('WRN_HOLD_REVIEW_DUE', `${hold.id}@${hold.reviewAt}`, {
          hold: hold.id,
          reason: hold.reason,
          reviewAt: hold.reviewAt,
          stores: hold.stores,
        });
      }
    } catch (err) {
      report(deps.logger, 'error', { err, code: 'ERR_HOLD_REVIEW' }, 'could not list legal holds');
    }
  };

  const purge = async (now: Date = clock()): Promise<RetentionReport> => {
    // Traffic reports: raw records expire only once they are rolled up.
    const upTo = deps.purgeUpTo === undefined ? now : await deps.purgeUpTo(now);
    const result = await purgeStores(set, upTo, deps.logger);
    await reviewHolds(now);
    return result;
  };

  const { enabled, intervalMs, jitterMs } = deps.retention;
  const scheduler = enabled
    ? new RetentionScheduler({
        intervalMs,
        jitterMs,
        firstDelayMs: Math.min(FIRST_RUN_MS, intervalMs),
        clock,
        run: (now) => purge(now),
      })
    : undefined;
  // Only stores that can purge or hold give the schedule anything to do.
  if (set.with('purge').length > 0 || set.with('holds').length > 0) scheduler?.start();

  return {
    purge: (now) => {
      if (set.closed) return Promise.reject(new Error('the logger is closed'));
      return purge(now);
    },
    holds,
    subjects,
    storeSet: set,
    async close(timeoutMs) {
      // A run in progress is waited for through the set, within the deadline; `stop` alone would
      // wait for a hung store forever.
      void scheduler?.stop();
      await set.close(timeoutMs);
    },
  };
}
