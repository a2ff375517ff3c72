import { describe, expect, it } from 'vitest';
import { MemoryRollups } from '../../src/reports/rollup-store.js';
import { updateRollups } from '../../src/reports/runner.js';
import { trafficReport } from '../../src/reports/traffic.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { DAY, SET_START, trafficSet } from './traffic-set.js';

const HOUR = 3_600_000;

// Retention runs hourly and needs only the final hours rolled up; a run that also rolled up the
// open hours read the last two to three hours of records again every time.
describe('a rollup run without the open hours (retention)', () => {
  it('reads each record once, when its hour is final, and a report still counts every record', async () => {
    const records = trafficSet(2_000, 2, 300, 31);
    const store = new MemoryStore();
    await store.write(records);
    const rollups = new MemoryRollups();
    // Half past ten on the second day: hours up to 09:00 are final (one hour to settle).
    const now = new Date(SET_START + DAY + 10.5 * HOUR);
    const final = SET_START + DAY + 9 * HOUR;
    const countBefore = (t: number) => records.filter((r) => Date.parse(r.time) < t).length;

    const first = await updateRollups(store, rollups, { now, openHours: false });
    expect(first.watermark).toBe(new Date(final).toISOString());
    expect(first.records).toBe(countBefore(final));
    // Nothing after the final hours was counted yet.
    expect(await rollups.buckets('hour', new Date(final).toISOString(), '9999')).toEqual([]);

    // Again at the same time: nothing new is final, so nothing is read.
    expect((await updateRollups(store, rollups, { now, openHours: false })).records).toBe(0);
    // An hour later only the hour that became final is read.
    const later = new Date(now.getTime() + HOUR);
    const second = await updateRollups(store, rollups, { now: later, openHours: false });
    expect(second.records).toBe(countBefore(final + HOUR) - countBefore(final));

    // A report's run adds the open hours (it reads every record after the watermark): every
    // record up to now is counted once.
    const run = await updateRollups(store, rollups, { now: later });
    expect(run.records).toBe(records.length - countBefore(final + HOUR));
    const to = final + 2 * HOUR; // the hour `later` falls in starts here
    const report = await trafficReport(
      rollups,
      { from: new Date(SET_START), to: new Date(to), interval: 'hour' },
      1,
      later,
    );
    const people = records.filter((r) => Date.parse(r.time) < to && !r.essential.bot);
    expect(report.totals.requests).toBe(people.length);
  });
});
