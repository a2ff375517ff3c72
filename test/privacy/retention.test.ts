import { afterEach, describe, expect, it, vi } from 'vitest';
import { privacyLog } from '../../src/index.js';
import { RetentionScheduler } from '../../src/privacy/retention.js';
import type { AccessRecord } from '../../src/record.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import type { PurgeResult, Store } from '../../src/stores/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';
import { isoAfter, makeRecord } from '../helpers/records.js';

const T0 = Date.parse('2025-06-01T12:00:00.000Z');
const HOUR = 3_600_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('RetentionScheduler', () => {
  it('runs at the clock it is given, waits for each run before the next, and stops', async () => {
    vi.useFakeTimers();
    let now = T0;
    const runs: number[] = [];
    let finish: (() => void) | undefined;
    const scheduler = new RetentionScheduler({
      intervalMs: HOUR,
      jitterMs: 1000,
      firstDelayMs: 60_000,
      clock: () => new Date(now),
      random: () => 0.5,
      run: (at) => {
        runs.push(at.getTime());
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(60_499);
    expect(runs).toEqual([]);
    now = T0 + 1;
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([T0 + 1]);
    // A run that has not finished holds the next one back, however long it takes.
    await vi.advanceTimersByTimeAsync(3 * HOUR);
    expect(runs).toHaveLength(1);
    finish!();
    now = T0 + 2;
    await vi.advanceTimersByTimeAsync(HOUR + 500);
    expect(runs).toEqual([T0 + 1, T0 + 2]);
    finish!();
    const stopped = scheduler.stop();
    await stopped;
    await vi.advanceTimersByTimeAsync(10 * HOUR);
    expect(runs).toHaveLength(2);
  });

  it('never keeps the process alive', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const scheduler = new RetentionScheduler({
      intervalMs: HOUR,
      jitterMs: 0,
      firstDelayMs: HOUR,
      run: async () => undefined,
    });
    scheduler.start();
    const timer = spy.mock.results.at(-1)?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    void scheduler.stop();
    spy.mockRestore();
  });
});

/** A store whose purge only counts calls; for checking who calls purge, and when. */
class CountingStore extends MemoryStore {
  calls: Date[] = [];
  override async purge(now: Date): Promise<PurgeResult> {
    this.calls.push(now);
    return super.purge(now);
  }
}

describe('the logger’s retention schedule', () => {
  it('purges every store on the schedule, at the current time, and reports counts', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const first = new CountingStore({ name: 'first' });
    const second = new CountingStore({ name: 'second' });
    const writeOnly: Store = { write: () => undefined };
    const logger = spyLogger();
    const log = privacyLog({
      store: [first, second, writeOnly],
      secret: SECRET,
      logger,
      warnings: false,
      retention: { intervalMs: HOUR, jitterMs: 0 },
    });
    const expires = { client: isoAfter(T0, 1), essential: isoAfter(T0, 2) };
    await first.write([makeRecord({ expires }), makeRecord({ expires })]);
    await second.write([makeRecord({ expires })]);

    await vi.advanceTimersByTimeAsync(60_000);
    expect(first.calls.map((d) => d.getTime())).toEqual([T0 + 60_000]);
    expect(second.calls).toHaveLength(1);

    vi.setSystemTime(T0 + 1.5 * 24 * HOUR);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(first.records.every((r: AccessRecord) => r.client === undefined)).toBe(true);
    const purged = logger.calls.filter((c) => c.details.code === 'RETENTION_PURGED');
    expect(purged.map((c) => [c.details.store, c.details.removed])).toEqual([
      ['first', expect.objectContaining({ client: 2 })],
      ['second', expect.objectContaining({ client: 1 })],
    ]);
    vi.useRealTimers();
    await log.close();
    const calls = first.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(first.calls).toHaveLength(calls);
  });

  it('can be turned off; purge() still works on demand and reports per store', async () => {
    const store = new CountingStore();
    const log = privacyLog({
      store,
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
      retention: { enabled: false },
    });
    await store.write([
      makeRecord({ expires: { client: isoAfter(T0, 1), essential: isoAfter(T0, 2) } }),
    ]);
    const report = await log.purge(new Date(T0 + 3 * 24 * HOUR));
    expect(report).toMatchObject({
      now: new Date(T0 + 3 * 24 * HOUR).toISOString(),
      removed: { client: 1 },
      deleted: 1,
      stores: [{ store: 'MemoryStore', deleted: 1 }],
    });
    await log.close();
    await expect(log.purge()).rejects.toThrow(/closed/);
  });

  it('reports a failing store and still purges the others', async () => {
    const broken: Store = {
      name: 'broken',
      write: () => undefined,
      purge: () => Promise.reject(new Error('disk gone')),
    };
    const good = new CountingStore();
    const logger = spyLogger();
    const log = privacyLog({
      store: [broken, good],
      secret: SECRET,
      logger,
      warnings: false,
      retention: { enabled: false },
    });
    const report = await log.purge();
    expect(report.stores).toEqual([
      { store: 'broken', removed: {}, deleted: 0, error: 'disk gone' },
      expect.objectContaining({ store: 'MemoryStore', deleted: 0 }),
    ]);
    expect(logger.codes()).toContain('ERR_RETENTION_PURGE');
    await log.close();
  });

  it('rejects a bad retention option at construction, naming it', () => {
    expect(() =>
      privacyLog({ store: new MemoryStore(), secret: SECRET, retention: { intervalMs: 5 } }),
    ).toThrow(/retention\.intervalMs/);
  });
});

describe('hold review', () => {
  it('warns once per hold past its review date, again after it is extended and falls due again', async () => {
    const store = new MemoryStore();
    const logger = spyLogger();
    const log = privacyLog({ store, secret: SECRET, logger, retention: { enabled: false } });
    const now = Date.now();
    await log.holds.add({ id: 'case-9', reason: 'litigation', scope: {}, reviewAt: 'P10D' });
    await log.holds.add({ id: 'case-10', reason: 'audit', scope: {}, reviewAt: 'P100D' });
    const due = () => logger.calls.filter((c) => c.details.code === 'WRN_HOLD_REVIEW_DUE');

    await log.purge(new Date(now + 5 * 24 * HOUR));
    expect(due()).toHaveLength(0);
    await log.purge(new Date(now + 11 * 24 * HOUR));
    await log.purge(new Date(now + 12 * 24 * HOUR));
    expect(due().map((c) => c.details.hold)).toEqual(['case-9']);
    expect(due()[0]!.details).toMatchObject({ reason: 'litigation', stores: ['MemoryStore'] });

    await log.holds.extend('case-9', { reviewAt: new Date(now + 20 * 24 * HOUR) });
    await log.purge(new Date(now + 21 * 24 * HOUR));
    expect(due().map((c) => c.details.hold)).toEqual(['case-9', 'case-9']);
    await log.close();
  });

  it('is silenced like any warning', async () => {
    const logger = spyLogger();
    const log = privacyLog({
      store: new MemoryStore(),
      secret: SECRET,
      logger,
      warnings: ['WRN_HOLD_REVIEW_DUE'],
      retention: { enabled: false },
    });
    await log.holds.add({ reason: 'x', scope: {}, reviewAt: 'P1D' });
    await log.purge(new Date(Date.now() + 2 * 24 * HOUR));
    expect(logger.codes()).not.toContain('WRN_HOLD_REVIEW_DUE');
    await log.close();
  });
});
