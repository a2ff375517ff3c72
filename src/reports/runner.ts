import type { AccessRecord } from '../record.js';
import type { Store } from '../stores/store.js';
import { type Bucket, bucketStart, emptyCounts, mergeCounts } from './bucket.js';
import { HyperLogLog } from './hyperloglog.js';
import { rollupHours } from './rollup.js';
import type { RollupLease, RollupStore } from './rollup-store.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Options of {@link updateRollups}. */
export interface RollupRunOptions {
  /** The time to roll up to. Default: now. */
  now?: Date;
  /**
   * How long after an hour ends its records may still arrive (the dispatcher's batching, retries
   * after an outage). Hours that ended longer ago are final: the watermark passes them and raw
   * records before it may be purged. Later hours are recomputed from raw records at every run, so a
   * report always includes every record written so far. Default one hour.
   */
  settleMs?: number;
  /** How long a run may hold the lease before another runner may take over. Default 10 minutes. */
  leaseMs?: number;
}

/** What a run did; `skipped` when another runner held the lease. */
export interface RollupRunResult {
  skipped: boolean;
  /** Records read from the record store. */
  records: number;
  /** The watermark after the run. */
  watermark: string | undefined;
}

/**
 * Bring the rollups up to date with the records in `source`, one day of records per transaction, so
 * a crash loses at most the day in progress and a rerun recomputes it. Each changed bucket is
 * recomputed from raw records (hours) or from its hours (days), never incremented, which makes a
 * rerun harmless. Runs only while holding the rollup store's lease: one runner at a time across
 * processes.
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
    return await run(source, target, lease, options);
  } finally {
    await target.release(lease);
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
    cursor = Date.parse(bucketStart(first.time, 'hour'));
  }
  let records = 0;
  for (;;) {
    const dayEnd = Math.floor(cursor / DAY) * DAY + DAY;
    // Whole days that are final are read one at a time; the rest (open hours) in one read.
    const last = dayEnd > final;
    const batch: AccessRecord[] = [];
    const query = last
      ? { from: new Date(cursor) }
      : { from: new Date(cursor), to: new Date(dayEnd) };
    for await (const record of source.read!(query)) batch.push(record);
    records += batch.length;
    const hours = rollupHours(batch);
    const days = await daysFor(target, hours, cursor);
    const next = last ? Math.max(cursor, final) : dayEnd;
    watermark = new Date(next).toISOString();
    await target.commit(lease, {
      hoursFrom: new Date(cursor).toISOString(),
      hours,
      daysFrom: new Date(Math.floor(cursor / DAY) * DAY).toISOString(),
      days,
      watermark,
    });
    if (last) break;
    cursor = next;
  }
  return { skipped: false, records, watermark };
}

async function firstRecord(source: Store): Promise<AccessRecord | undefined> {
  for await (const record of source.read!({ limit: 1 })) return record;
  return undefined;
}

/** Day buckets for every day the new hours touch: stored hours before `cursor` plus new ones. */
async function daysFor(target: RollupStore, hours: Bucket[], cursor: number): Promise<Bucket[]> {
  const firstDay = Math.floor(cursor / DAY) * DAY;
  const earlier = await target.buckets(
    'hour',
    new Date(firstDay).toISOString(),
    new Date(cursor).toISOString(),
  );
  const days = new Map<string, Bucket>();
  for (const hour of [...earlier, ...hours]) {
    const start = bucketStart(hour.start, 'day');
    const id = `${hour.host}\n${start}`;
    let day = days.get(id);
    if (day === undefined) {
      day = {
        host: hour.host,
        interval: 'day',
        start,
        counts: emptyCounts(),
        visitors: new HyperLogLog(),
      };
      days.set(id, day);
    }
    mergeCounts(day.counts, hour.counts);
    day.visitors.merge(hour.visitors);
  }
  return [...days.values()];
}
