import type { DiagnosticLogger } from '../logger.js';
import type { Category } from '../record.js';
import { describeError, MAX_TIMER_MS, report } from '../shared/store-call.js';
import type { PurgeResult } from '../stores/store.js';
import type { StoreSet } from './store-set.js';

/** What one store's purge did, or why it failed. */
export interface StorePurgeReport {
  store: string;
  /** How many records lost each category. */
  removed: Partial<Record<Category, number>>;
  /** How many whole records were deleted. */
  deleted: number;
  /** How many consent events reached their retention and were deleted; absent when none. */
  consents?: number;
  /** Set when the purge failed; the counts are then zero. */
  error?: string;
}

/** What a retention run did across the stores. */
export interface RetentionReport {
  /** The ISO time retention was applied at. */
  now: string;
  /** Totals over every store that purged. */
  removed: Partial<Record<Category, number>>;
  deleted: number;
  /** Consent events deleted, over every store; absent when none. */
  consents?: number;
  /** One entry per store that has `purge`, in the logger's order. */
  stores: StorePurgeReport[];
}

/**
 * Apply retention at `now` in every store that can purge, one store after the other (a purge is
 * heavy; running them side by side would only make them compete for the same disks). A failing
 * store is reported and the others still run; the promise never rejects.
 */
export async function purgeStores(
  set: StoreSet,
  now: Date,
  logger: DiagnosticLogger,
): Promise<RetentionReport> {
  const result: RetentionReport = { now: now.toISOString(), removed: {}, deleted: 0, stores: [] };
  for (const entry of set.with('purge')) {
    // Closing the logger ends a run between stores rather than reporting each as failed.
    if (set.closed) break;
    try {
      const purged = (await set.use(entry, (store) => store.purge!(now))) as PurgeResult;
      const removed = { ...(purged?.removed ?? {}) };
      const deleted = purged?.deleted ?? 0;
      const consents = purged?.consents ?? 0;
      result.stores.push({
        store: entry.name,
        removed,
        deleted,
        ...(consents > 0 ? { consents } : {}),
      });
      if (consents > 0) result.consents = (result.consents ?? 0) + consents;
      for (const [category, count] of Object.entries(removed) as [Category, number][]) {
        result.removed[category] = (result.removed[category] ?? 0) + count;
      }
      result.deleted += deleted;
      if (deleted > 0 || consents > 0 || Object.values(removed).some((count) => count > 0)) {
        report(
          logger,
          'info',
          {
            code: 'RETENTION_PURGED',
            store: entry.name,
            removed,
            deleted,
            ...(consents > 0 ? { consents } : {}),
            now: result.now,
          },
          `retention: ${entry.name} removed expired data`,
        );
      }
    } catch (err) {
      result.stores.push({ store: entry.name, removed: {}, deleted: 0, error: describeError(err) });
      report(
        logger,
        'error',
        { err, code: 'ERR_RETENTION_PURGE', store: entry.name },
        `retention: purge failed in ${entry.name}; it is tried again at the next run`,
      );
    }
  }
  return result;
}

/** Options of a {@link RetentionScheduler}. */
export interface SchedulerOptions {
  /** Time between the end of one run and the start of the next, in ms. */
  intervalMs: number;
  /** Up to this many ms are added at random to each wait, so that instances do not run in step. */
  jitterMs: number;
  /** Wait before the first run, in ms (plus jitter). */
  firstDelayMs: number;
  /** One run: retention and hold review at `now`. Must not reject. */
  run: (now: Date) => Promise<unknown>;
  /** The time a run applies retention at. Default: the system clock. */
  clock?: () => Date;
  /** A number in [0, 1) for the jitter. Default `Math.random`. */
  random?: () => number;
}

/**
 * Runs retention on a timer. Each wait starts when the previous run ends, so runs never overlap,
 * however slow a store is. Timers are unref'd: a scheduler never keeps a process alive.
 */
export class RetentionScheduler {
  readonly #options: SchedulerOptions;
  readonly #clock: () => Date;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
    this.#random = options.random ?? Math.random;
  }

  /** Schedule the first run. Calling it again, or after {@link stop}, does nothing. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined || this.#running !== undefined) return;
    this.#schedule(this.#options.firstDelayMs);
  }

  /** Stop the timer and wait for a run in progress to finish. Never rejects. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  #schedule(baseMs: number): void {
    if (this.#stopped) return;
    const delay = Math.min(
      baseMs + Math.floor(this.#random() * this.#options.jitterMs),
      MAX_TIMER_MS,
    );
    this.#timer = setTimeout(this.#tick, Math.max(0, delay));
    this.#timer.unref();
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#running = this.#options
      .run(this.#clock())
      .catch(() => undefined)
      .finally(() => {
        this.#running = undefined;
        this.#schedule(this.#options.intervalMs);
      });
  };
}
