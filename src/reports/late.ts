import { type Bucket, bucketStart, daysOf, emptyBucket, mergeBucket, OTHER } from './bucket.js';
import { HourRollup, ROLLUP_LIMITS } from './rollup.js';
import type { RollupLease, RollupStore } from './rollup-store.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Late records taken off the queue per transaction. */
const LATE_BATCH = 5000;

/**
 * Count the records the store queued because they were written after the watermark had passed
 * their hour (a store outage, a retried batch, a slow clock): their figures are added to the final
 * hour buckets they belong to, and the days holding those hours are summed again, in the
 * transaction that takes them off the queue. So each counts once, even across a crash or a rerun.
 * A late page view starts a visit unless another late page view of its visitor in the same
 * half-hour came with it: the page views counted before are no longer at hand. Returns how many
 * records were counted.
 */
export async function mergeLate(target: RollupStore, lease: RollupLease): Promise<number> {
  if (target.late === undefined) return 0;
  let counted = 0;
  for (;;) {
    const watermark = await target.watermark();
    if (watermark === undefined) return counted;
    const cut = Date.parse(watermark);
    const rollup = new HourRollup();
    // A queued record at or after the watermark is recomputed with the open hours: not added here.
    const ids = await target.late(lease, LATE_BATCH, (fact) => {
      if (fact.time < cut) rollup.add(fact);
    });
    if (ids.length === 0) return counted;
    const hours = await addToStored(target, rollup.buckets());
    const days = await daysAround(target, hours);
    await target.commit(lease, { hours, days, watermark, lateDone: ids });
    counted += rollup.count;
    if (ids.length < LATE_BATCH) return counted;
  }
}

/** The stored hour buckets with `delta` added, host by host, new ones where there were none. */
async function addToStored(target: RollupStore, delta: Bucket[]): Promise<Bucket[]> {
  const byHour = new Map<string, Bucket[]>();
  for (const bucket of delta) {
    const list = byHour.get(bucket.start);
    if (list === undefined) byHour.set(bucket.start, [bucket]);
    else list.push(bucket);
  }
  const changed: Bucket[] = [];
  for (const [start, deltas] of byHour) {
    const end = new Date(Date.parse(start) + HOUR).toISOString();
    const stored = new Map((await target.buckets('hour', start, end)).map((b) => [b.host, b]));
    const touched = new Set<Bucket>();
    for (const d of deltas) {
      // The hour's host cap holds for late records too.
      const host = stored.has(d.host) || stored.size < ROLLUP_LIMITS.maxHosts ? d.host : OTHER;
      let bucket = stored.get(host);
      if (bucket === undefined) {
        bucket = emptyBucket(host, 'hour', start);
        stored.set(host, bucket);
      }
      mergeBucket(bucket, d);
      touched.add(bucket);
    }
    changed.push(...touched);
  }
  return changed;
}

/** The day buckets of every day `hours` fall in, summed again from the day's hours. */
async function daysAround(target: RollupStore, hours: Bucket[]): Promise<Bucket[]> {
  const updated = new Map(hours.map((b) => [`${b.start}\n${b.host}`, b]));
  const days: Bucket[] = [];
  for (const day of new Set(hours.map((b) => bucketStart(b.start, 'day')))) {
    const end = new Date(Date.parse(day) + DAY).toISOString();
    const all = new Map(
      (await target.buckets('hour', day, end)).map((b) => [`${b.start}\n${b.host}`, b]),
    );
    for (const [key, bucket] of updated)
      if (bucket.start >= day && bucket.start < end) all.set(key, bucket);
    days.push(...daysOf([...all.values()]));
  }
  return days;
}
