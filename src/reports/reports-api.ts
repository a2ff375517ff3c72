import type { DiagnosticLogger } from '../logger.js';
import { parseDuration } from '../policy/duration.js';
import { report } from '../shared/store-call.js';
import { MemoryStore } from '../stores/memory/store.js';
import { SqliteRollups } from '../stores/sqlite/rollups.js';
import { SqliteStore } from '../stores/sqlite/store.js';
import type { Store } from '../stores/store.js';
import { MemoryRollups, type RollupStore } from './rollup-store.js';
import { type RollupRunResult, updateRollupsWaiting } from './runner.js';
import { DEFAULT_K } from './suppress.js';
import { type TrafficQuery, type TrafficReport, trafficReport } from './traffic.js';

/** `logger.reports`: traffic figures from the anonymous rollups. */
export interface ReportsApi {
  /**
   * Write out what was captured so far, bring the rollups up to date, and answer from them. Every
   * figure below the policy's `aggregates.k` is shown only as "fewer than k".
   */
  traffic(query?: TrafficQuery): Promise<TrafficReport>;
  /** Bring the rollups up to date now (retention does this before every purge). */
  update(now?: Date): Promise<RollupRunResult>;
}

/** The aggregate settings a policy may carry. */
export interface AggregateSettings {
  retention?: string;
  k?: number;
}

/** What the logger wires: the API, the retention hook and the close. */
export interface ReportsWiring {
  api: ReportsApi;
  /** Several reports from rollups brought up to date once (the dashboard's panels). */
  snapshot(queries: TrafficQuery[]): Promise<TrafficReport[]>;
  /**
   * The time retention may apply up to: `now`, or earlier when a record not yet rolled up would
   * otherwise lose a category, so no record expires before it is rolled up. Also applies the aggregates' own retention. Never rejects.
   */
  purgeUpTo(now: Date): Promise<Date>;
  close(): Promise<void>;
}

/** Aggregates are anonymous: kept five years unless the policy says otherwise. */
const DEFAULT_RETENTION = 'P5Y';

/**
 * The rollups of a store that lives in the logger's worker thread: runs read every record of the
 * open hours, so they run there, beside the store, never on the thread that serves requests. The
 * reports read buckets through it.
 */
export interface RemoteRollups extends Pick<RollupStore, 'buckets' | 'purge'> {
  /** Bring the rollups up to date in the worker, as {@link updateRollupsWaiting} does here. */
  update(now: Date | undefined, openHours: boolean): Promise<RollupRunResult>;
}

/** The rollup store that fits a record store, or undefined when it keeps no rollups. */
export function rollupsFor(store: Store): RollupStore | undefined {
  const own = (store as { rollups?: () => RollupStore }).rollups;
  if (typeof own === 'function') return own.call(store);
  if (store instanceof SqliteStore && store.path !== ':memory:' && store.path !== '') {
    return new SqliteRollups({ path: store.path });
  }
  if (store instanceof MemoryStore || store instanceof SqliteStore) return new MemoryRollups();
  return undefined;
}

/**
 * Wire reports for a logger: rollups of the first store that can keep them, with the strictest
 * settings of the logger's policies (the highest k, the shortest aggregate retention).
 */
export function createReports(deps: {
  stores: readonly Store[];
  aggregates: readonly (AggregateSettings | undefined)[];
  logger: DiagnosticLogger;
  flush: () => Promise<void>;
  /**
   * The shortest retention of the categories rollups read (client, essential, nonessential) in
   * any of the logger's policies: a record not yet rolled up is at least this far from expiring.
   */
  shortestRetentionMs: number;
  /** The rollups of the store at this index when that store lives in the worker thread. */
  remote?: (index: number) => RemoteRollups | undefined;
}): ReportsWiring {
  const k = Math.max(...deps.aggregates.map((a) => a?.k ?? DEFAULT_K));
  const retentionMs = Math.min(
    ...deps.aggregates.map((a) => parseDuration(a?.retention ?? DEFAULT_RETENTION)!),
  );
  let source: Store | undefined;
  let rollups: RollupStore | undefined;
  let remote: RemoteRollups | undefined;
  for (const [index, store] of deps.stores.entries()) {
    if (store.read === undefined) continue;
    // Only decides which store keeps the rollups: a local one opens nothing until `init()`.
    rollups = rollupsFor(store);
    if (rollups !== undefined) {
      source = store;
      remote = deps.remote?.(index);
      break;
    }
  }
  let opened: Promise<void> | undefined;
  const open = async (): Promise<Pick<RollupStore, 'buckets' | 'purge'>> => {
    if (remote !== undefined) return remote;
    if (rollups === undefined || source === undefined) {
      throw new Error(
        'traffic reports need a store that keeps rollups (SqliteStore, PostgresStore or MemoryStore) among the stores',
      );
    }
    const target = rollups;
    // The record store creates the file (with its private mode) before a second connection opens it.
    opened ??= (async () => {
      await source.init?.();
      await target.init?.();
    })();
    await opened;
    return target;
  };
  // Runs in this process take turns; another process's run is waited for through the lease.
  let queue: Promise<unknown> = Promise.resolve();
  const update = (now?: Date, openHours = true): Promise<RollupRunResult> => {
    const run = queue.then(async () => {
      if (remote !== undefined) return remote.update(now, openHours);
      await open();
      return updateRollupsWaiting(source!, rollups!, now, openHours);
    });
    queue = run.catch(() => undefined);
    return run;
  };
  let lastWatermark: string | undefined;
  return {
    api: {
      async traffic(query = {}) {
        await deps.flush();
        const now = new Date();
        await update(now);
        return trafficReport(await open(), query, k, now);
      },
      update: (now) => update(now),
    },
    async snapshot(queries) {
      await deps.flush();
      const now = new Date();
      await update(now);
      const target = await open();
      const reports: TrafficReport[] = [];
      for (const query of queries) reports.push(await trafficReport(target, query, k, now));
      return reports;
    },
    async purgeUpTo(now) {
      if (rollups === undefined) return now;
      try {
        // Retention needs the final hours rolled up, not the open ones: those wait for a report,
        // so that an hourly run reads each record once, not every run until its hour settles.
        const result = await update(now, false);
        lastWatermark = result.watermark;
        await (await open()).purge(new Date(now.getTime() - retentionMs));
        if (result.watermark === undefined) return now;
      } catch (err) {
        report(
          deps.logger,
          'error',
          { err, code: 'ERR_ROLLUP' },
          'traffic rollups failed; retention waits for them',
        );
        if (lastWatermark === undefined) return new Date(0);
      }
      // A record at or after the watermark keeps every category until at least the watermark plus
      // the shortest retention: applying retention up to just before that time spares it.
      const safe = Date.parse(lastWatermark!) + deps.shortestRetentionMs - 1;
      return new Date(Math.min(now.getTime(), safe));
    },
    async close() {
      await queue;
      // The worker closes rollups of its own; a local one was opened, if at all, here.
      if (remote === undefined) await rollups?.close?.();
    },
  };
}
