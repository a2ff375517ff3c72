import type { Store } from '../stores/store.js';
import { type Bucket, daysOf } from './bucket.js';
import { factOf } from './facts.js';
import { mergeLate } from './late.js';
import { HourRollup } from './rollup.js';
import { type RollupLease, RollupRaceError, type RollupStore } from './rollup-store.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Runs of one chunk before a run gives up when records keep changing under it. */
const ATTEMPTS = 5;
/** How long a run waits for another process's rollup run before it answers anyway. */
const WAIT_FOR_RUNNER_MS = 30_000;

/** Options of {@link updateRollups}. */
export interface RollupRunOptions {
  /** The time to roll up to. Default: now. */
  now?: Date;
  /**
   * How long after an hour ends its records are recomputed from the raw records at every run (the
   * dispatcher's batching, clocks of several instances). Hours that ended longer ago are final:
   * the watermark passes them and raw records before it may be purged. A record written later
   * still counts, through the store's queue of late records. Default one hour.
   */
  settleMs?: number;
  /** How long a run may hold the lease before another runner may take over. Default 10 minutes. */
  leaseMs?: number;
  /**
   * Also roll up the hours still open (those after the settle time), which every such run reads
   * again. Reports need them; retention needs only the watermark to pass the final hours, so its
   * runs leave them out and read each record once, when its hour becomes final. Default true.
   */
  openHours?: boolean;
}

/** What a run did; `skipped` when another runner held the lease. */
export interface RollupRunResult {
  skipped: boolean;
  /** Records read (late ones included). */
  records: number;
  /** The watermark after the run. */
  watermark: string | undefined;
}

/**
 * Bring the rollups up to date with the records in `source`, one day of records per transaction, so
 * a crash loses at most the day in progress and a rerun recomputes it. Each changed bucket is
 * recomputed from raw records (hours) or from its hours (days), never incremented, which makes a
 * rerun harmless; records that arrive after the watermark passed their hour are added to it once,
 * in the transaction that takes them off the store's queue. Runs only while holding the rollup
 * store's lease: one runner at a time across processes.
 */
export async function updateRollups(
  source: Store,
  target: RollupStore,
  options: RollupRunOptions = {},
): Promise<RollupRunResult> {
  if (source.read === undefined) throw new TypeError(`the record store cannot read records`);
  const lease = await target.acquire(options.leaseMs ?? 10 * 60_000);
  if (lease === undefined)
    return { skipped: true, records: 0, watermark: await target.watermark() };
  try {
    let records = await mergeLate(target, lease);
    const result = await run(source, target, lease, options);
    // Records queued while the run went on: a report right after them includes them.
    records += result.records + (await mergeLate(target, lease));
    return { ...result, records };
  } finally {
    await target.release(lease);
  }
}

/**
 * {@link updateRollups}, waiting (up to 30 s) while another process holds the lease, so that a
 * report right after it includes that process's records too; answers `skipped` past the wait.
 */
export async function updateRollupsWaiting(
  source: Store,
  target: RollupStore,
  now: Date | undefined,
  openHours = true,
): Promise<RollupRunResult> {
  const deadline = Date.now() + WAIT_FOR_RUNNER_MS;
  for (;;) {
    const result = await updateRollups(source, target, { ...(now ? { now } : {}), openHours });
    if (!result.skipped || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function run(
  source: Store,
  target: RollupStore,
  lease: RollupLease,
  options: RollupRunOptions,
): Promise<RollupRunResult> {
  const now = (options.now ?? new Date()).getTime();
  const final = Math.floor((now - (options.settleMs ?? HOUR)) / HOUR) * HOUR;
  let watermark = await target.watermark();
  let cursor: number;
  if (watermark !== undefined) cursor = Date.parse(watermark);
  else {
    const first = await firstRecord(source);
    if (first === undefined) return { skipped: false, records: 0, watermark };
    cursor = Math.floor(first / HOUR) * HOUR;
  }
  const openHours = options.openHours ?? true;
  let records = 0;
  for (;;) {
    const dayEnd = Math.floor(cursor / DAY) * DAY + DAY;
    // Whole days that are final are read one at a time; the rest (open hours) in one read.
    const last = dayEnd > final;
    const next = last ? Math.max(cursor, final) : dayEnd;
    // Without the open hours the last read stops at the final ones, and is skipped if none is new.
    if (last && !openHours && next === cursor) break;
    watermark = iso(next);
    const to = !last ? dayEnd : openHours ? undefined : next;
    records += await chunk(source, target, lease, cursor, to, watermark);
    if (last) break;
    cursor = next;
  }
  return { skipped: false, records, watermark };
}

/** Roll up `[cursor, to)` and commit it with `watermark`, again if records changed meanwhile. */
async function chunk(
  source: Store,
  target: RollupStore,
  lease: RollupLease,
  cursor: number,
  to: number | undefined,
  watermark: string,
): Promise<number> {
  const from = new Date(cursor).toISOString();
  for (let attempt = 1; ; attempt++) {
    const rollup = new HourRollup();
    let check: { from: string; to: string; fingerprint: string } | undefined;
    if (target.scan !== undefined) {
      const range = { from, checkTo: watermark, ...(to === undefined ? {} : { to: iso(to) }) };
      const fingerprint = await target.scan(lease, range, (fact) => rollup.add(fact));
      check = { from, to: watermark, fingerprint };
    } else {
      const query = { from: new Date(cursor), ...(to === undefined ? {} : { to: new Date(to) }) };
      for await (const record of source.read!(query)) rollup.add(factOf(record));
    }
    const hours = rollup.buckets();
    const days = await daysFor(target, hours, cursor);
    try {
      await target.commit(lease, {
        hoursFrom: from,
        hours,
        daysFrom: iso(Math.floor(cursor / DAY) * DAY),
        days,
        watermark,
        ...(check === undefined ? {} : { check }),
      });
      return rollup.count;
    } catch (error) {
      if (!(error instanceof RollupRaceError) || attempt >= ATTEMPTS) throw error;
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The time of the oldest record, epoch ms. */
async function firstRecord(source: Store): Promise<number | undefined> {
  for await (const record of source.read!({ limit: 1 })) return Date.parse(record.time);
  return undefined;
}

/** Day buckets for every day the new hours touch: stored hours before `cursor` plus new ones. */
async function daysFor(target: RollupStore, hours: Bucket[], cursor: number): Promise<Bucket[]> {
  const firstDay = Math.floor(cursor / DAY) * DAY;
  const earlier = await target.buckets('hour', iso(firstDay), iso(cursor));
  return daysOf([...earlier, ...hours]);
}
