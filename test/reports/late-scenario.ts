import { expect } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import type {
  RollupChange,
  RollupLease,
  RollupStore,
  ScanRange,
} from '../../src/reports/rollup-store.js';
import { updateRollups } from '../../src/reports/runner.js';
import { trafficReport } from '../../src/reports/traffic.js';
import type { Store } from '../../src/stores/store.js';
import { contractId } from '../../src/testing/contract-records.js';
import { DAY, expectExact, SET_START, trafficSet, truth } from './traffic-set.js';

const HOUR = 3_600_000;
const DAYS = 3;
const END = SET_START + DAYS * DAY;

/** Records of the same days as `trafficSet`'s, with ids and visitors of their own. */
function lateSet(count: number, seed: number, idBase: number): AccessRecord[] {
  return trafficSet(count, DAYS, 50, seed).map((record, i) => {
    const copy = structuredClone(record);
    copy.id = contractId(idBase + i);
    // Visitors of their own: a late page view whose visitor was counted before starts a visit of
    // its own (the earlier ones are no longer at hand), which the truth below does not model.
    if (copy.nonessential?.visitorId)
      copy.nonessential.visitorId = `late-${seed}-${copy.nonessential.visitorId}`;
    return copy;
  });
}

async function expectTruth(rollups: RollupStore, records: AccessRecord[], now: Date) {
  const exact = truth(records, SET_START, END);
  for (const interval of ['day', 'hour'] as const) {
    const report = await trafficReport(
      rollups,
      { from: new Date(SET_START), to: new Date(END), interval, by: 'page' },
      1,
      now,
    );
    expectExact(report, exact);
  }
}

/**
 * Records written long after the watermark passed their hour: counted once, by the store's queue,
 * whether the batch is retried, the run fails before it commits, or a record lands behind the new
 * watermark while a run is reading.
 */
export async function lateRecordsScenario(store: Store, rollups: RollupStore): Promise<void> {
  const onTime = trafficSet(3_000, DAYS, 400, 21);
  await store.write(onTime);
  // Two of the three days are final after this run; the third stays open.
  const now = new Date(SET_START + 2 * DAY + 3 * HOUR);
  await updateRollups(store, rollups, { now });
  await expectTruth(rollups, onTime, new Date(END));

  // A day late: every one of these is behind the watermark when written. A retried batch of
  // records stored already is ignored by the store and queues nothing.
  const late = lateSet(400, 22, 100_000).filter(
    (r) => Date.parse(r.time) < now.getTime() - 2 * HOUR,
  );
  await store.write(late);
  await store.write(onTime.slice(0, 50));
  let all = [...onTime, ...late];

  // The first attempt to count them fails before it commits: nothing is counted, nothing lost.
  const commit = rollups.commit.bind(rollups);
  let failures = 0;
  rollups.commit = (lease: RollupLease, change: RollupChange) => {
    if (change.lateDone !== undefined && failures++ === 0) throw new Error('disk full');
    return commit(lease, change);
  };
  await expect(updateRollups(store, rollups, { now })).rejects.toThrow('disk full');
  await expectTruth(rollups, onTime, new Date(END));
  const run = await updateRollups(store, rollups, { now });
  expect(run.records).toBe(late.length + openRecords(all, now));
  await expectTruth(rollups, all, new Date(END));
  // Nothing is left in the queue: a rerun reads no late record and changes no figure.
  expect((await updateRollups(store, rollups, { now })).records).toBe(openRecords(all, now));
  await expectTruth(rollups, all, new Date(END));

  // While a run reads the third day, a record lands in it, behind the watermark the run is about
  // to commit: the commit sees the range changed and the run reads it again.
  const intruder = lateSet(1, 23, 200_000).map((r) => ({
    ...r,
    time: new Date(SET_START + 2 * DAY + 10 * HOUR).toISOString(),
  }));
  const scan = rollups.scan!.bind(rollups);
  let written = false;
  rollups.scan = async (lease: RollupLease, range: ScanRange, into) => {
    const fingerprint = await scan(lease, range, into);
    if (!written && range.from <= intruder[0]!.time && intruder[0]!.time < range.checkTo) {
      written = true;
      await store.write(intruder);
    }
    return fingerprint;
  };
  await updateRollups(store, rollups, { now: new Date(END + DAY) });
  expect(written).toBe(true);
  all = [...all, ...intruder];
  await expectTruth(rollups, all, new Date(END + DAY));
  await updateRollups(store, rollups, { now: new Date(END + DAY) });
  await expectTruth(rollups, all, new Date(END + DAY));
}

/** Records in the hours still open at `now`, which every run reads again. */
function openRecords(records: AccessRecord[], now: Date): number {
  const final = Math.floor((now.getTime() - HOUR) / HOUR) * HOUR;
  return records.filter((r) => Date.parse(r.time) >= final).length;
}
