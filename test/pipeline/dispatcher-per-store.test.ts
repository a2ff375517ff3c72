import { describe, expect, it, vi } from 'vitest';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import type { AccessRecord } from '../../src/record.js';
import {
  deadStores,
  expectInvariant,
  fastOptions,
  guardUnhandledRejections,
  items,
  nextTurn,
  pushAll,
  RecordingStore,
  spyLogger,
} from './fixtures.js';

guardUnhandledRejections();

/** Keeps every write pending until the test lets it through. */
class GatedStore extends RecordingStore {
  readonly waiting: (() => void)[] = [];
  override write(records: readonly AccessRecord[]): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(() => {
        super.write(records);
        resolve();
      });
    });
  }
  /** Let the oldest pending write finish; false when none is pending. */
  pass(): boolean {
    const next = this.waiting.shift();
    next?.();
    return next !== undefined;
  }
}

describe('flush of some stores, within a bound', () => {
  it('waits only for the stores asked for, and names those not done by the deadline', async () => {
    const healthy = new RecordingStore('healthy');
    const hung = deadStores['never settles']();
    const dispatcher = new Dispatcher(fastOptions([hung, healthy], { writeTimeoutMs: 60_000 }));
    pushAll(dispatcher, items(0, 10));
    expect(await dispatcher.flush({ stores: ['healthy'], timeoutMs: 60_000 })).toEqual({
      pending: [],
    });
    expect(healthy.ids).toHaveLength(10);
    expect(await dispatcher.flush({ timeoutMs: 20 })).toEqual({ pending: ['never settles'] });
    expect(await dispatcher.flush({ stores: ['never settles', 'unknown'], timeoutMs: 0 })).toEqual({
      pending: ['never settles'],
    });
    expectInvariant(dispatcher);
    await dispatcher.close({ timeoutMs: 0 });
    expectInvariant(dispatcher);
  });
});

describe('close with a hung store beside a healthy one', () => {
  it('keeps the healthy store taking records until it has written them all', async () => {
    const healthy = new GatedStore('healthy');
    const hung = deadStores['never settles']();
    const logger = spyLogger();
    const dispatcher = new Dispatcher(
      fastOptions([healthy, hung], { logger, batchSize: 5, writeTimeoutMs: 60_000 }),
    );
    pushAll(dispatcher, items(0, 10));
    const closing = dispatcher.close({ timeoutMs: 300 });
    // The healthy store still has records to write: what completes now is still its to keep.
    pushAll(dispatcher, items(10, 2));
    expectInvariant(dispatcher);
    await vi.waitFor(() => expect(healthy.waiting).toHaveLength(1));
    pushAll(dispatcher, items(12, 3));
    expectInvariant(dispatcher);
    while (healthy.ids.length < 15) {
      await vi.waitFor(() => expect(healthy.pass()).toBe(true));
      expectInvariant(dispatcher);
    }
    await nextTurn();
    // Written all it took and closed to new records; the hung store still waits for its deadline.
    expect(healthy.closed).toBe(1);
    dispatcher.push({ n: 15 });
    expectInvariant(dispatcher);
    await closing;
    dispatcher.push({ n: 16 });
    expectInvariant(dispatcher);

    expect(healthy.ids).toEqual(items(0, 15).map((item) => `item-${item.n}`));
    const [healthyStats, hungStats] = dispatcher.stats().stores;
    expect(healthyStats).toMatchObject({
      accepted: 17,
      written: 15,
      buffered: 0,
      dropped: { closed: 2, shutdown: 0, bufferFull: 0, storeError: 0, invalid: 0 },
    });
    expect(hungStats).toMatchObject({
      accepted: 17,
      written: 0,
      buffered: 0,
      dropped: { shutdown: 16, closed: 1 },
    });

    // One line per store, with the counters as they were when the logger finished closing.
    const lines = [...logger.info.mock.calls, ...logger.warn.mock.calls]
      .map(([details]) => details as { code?: string; store?: string })
      .filter((details) => details.code === 'STORE_CLOSED');
    expect(lines).toEqual([
      expect.objectContaining({
        store: 'healthy',
        accepted: 16,
        written: 15,
        dropped: expect.objectContaining({ closed: 1, shutdown: 0 }),
      }),
      expect.objectContaining({
        store: 'never settles',
        accepted: 16,
        written: 0,
        dropped: expect.objectContaining({ shutdown: 16, closed: 0 }),
      }),
    ]);
  });
});
