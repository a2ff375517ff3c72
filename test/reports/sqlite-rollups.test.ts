import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LeaseLostError, MemoryRollups } from '../../src/reports/rollup-store.js';
import { updateRollups } from '../../src/reports/runner.js';
import { trafficReport } from '../../src/reports/traffic.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SqliteRollups } from '../../src/stores/sqlite/rollups.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { DAY, SET_START, trafficSet } from './traffic-set.js';

// Large generated traffic sets: generous bounds on a shared, busy machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const DAYS = 10;
const NOW = new Date(SET_START + (DAYS + 1) * DAY);
const RANGE = {
  from: new Date(SET_START),
  to: new Date(SET_START + DAYS * DAY),
  by: 'page' as const,
};

describe('rollups kept in SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollups-'));
  const path = join(dir, 'log.sqlite');
  const records = trafficSet(15_000, DAYS, 2_000, 5);
  const store = new SqliteStore({ path });
  let expected: Awaited<ReturnType<typeof trafficReport>>;

  beforeAll(async () => {
    await store.init();
    await store.write(records);
    const memory = new MemoryStore();
    await memory.write(records);
    const reference = new MemoryRollups();
    await updateRollups(memory, reference, { now: NOW });
    expected = await trafficReport(reference, RANGE, 1, NOW);
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same report as the rollups in memory, and only one of two runners at once runs', async () => {
    const a = new SqliteRollups({ path });
    const b = new SqliteRollups({ path });
    a.init();
    b.init();
    const [first, second] = await Promise.all([
      updateRollups(store, a, { now: NOW }),
      updateRollups(store, b, { now: NOW }),
    ]);
    expect([first.skipped, second.skipped].sort()).toEqual([false, true]);
    expect(first.records + second.records).toBe(records.length);
    expect(await trafficReport(b, RANGE, 1, NOW)).toEqual(expected);
    // A rerun recomputes the open hours and changes no figure.
    await updateRollups(store, a, { now: NOW });
    expect(await trafficReport(a, RANGE, 1, NOW)).toEqual(expected);
    a.close();
    b.close();
  });

  it('keeps buckets and watermark across a restart, and the report survives purging every record', async () => {
    const rollups = new SqliteRollups({ path });
    rollups.init();
    expect(rollups.watermark()).toBe(new Date(NOW.getTime() - 3_600_000).toISOString());
    await store.purge(new Date(NOW.getTime() + 365 * DAY));
    let left = 0;
    for await (const _ of store.read({})) left++;
    expect(left).toBe(0);
    await updateRollups(store, rollups, { now: new Date(NOW.getTime() + DAY) });
    expect(await trafficReport(rollups, RANGE, 1, NOW)).toEqual(expected);
    rollups.close();
  });

  it('changes nothing when a runner commits after its lease ran out (a stalled or crashed run)', () => {
    const rollups = new SqliteRollups({ path });
    rollups.init();
    const lease = rollups.acquire(1)!;
    const watermark = rollups.watermark();
    const late = { ...lease, until: 0 };
    const change = {
      hoursFrom: '1970-01-01T00:00:00.000Z',
      hours: [],
      daysFrom: '1970-01-01T00:00:00.000Z',
      days: [],
      watermark: '2000-01-01T00:00:00.000Z',
    };
    // Wait out the one-millisecond lease.
    const until = Date.now() + 5;
    while (Date.now() < until) {}
    expect(() => rollups.commit(late, change)).toThrow(LeaseLostError);
    expect(rollups.watermark()).toBe(watermark);
    expect(
      rollups.buckets('day', RANGE.from.toISOString(), RANGE.to.toISOString()).length,
    ).toBeGreaterThan(0);
    // The expired lease is free for the next runner.
    expect(rollups.acquire(60_000)).toBeDefined();
    rollups.close();
  });
});
