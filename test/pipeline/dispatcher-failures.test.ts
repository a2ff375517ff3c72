import { describe, expect, it, vi } from 'vitest';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import type { AccessRecord } from '../../src/record.js';
import type { Store } from '../../src/stores/store.js';
import {
  deadStores,
  expectInvariant,
  FlakyStore,
  fastOptions,
  guardUnhandledRejections,
  idOf,
  items,
  pushAll,
  RecordingStore,
  SlowStore,
  sleep,
  spyLogger,
} from './fixtures.js';

guardUnhandledRejections();

describe('retries', () => {
  it('delivers every record exactly once through a store that fails, then recovers', async () => {
    const logger = spyLogger();
    const store = new FlakyStore(3);
    const dispatcher = new Dispatcher(
      fastOptions([store], { logger, batchSize: 10, maxRetries: 5 }),
    );
    pushAll(dispatcher, items(0, 35));
    await dispatcher.flush();

    expect(store.ids).toEqual(items(0, 35).map((item) => idOf(item.n)));
    expect(dispatcher.stats().stores[0]).toMatchObject({
      written: 35,
      failures: 3,
      timeouts: 0,
      lastError: 'temporarily down',
      dropped: { storeError: 0 },
    });
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]![0]).toMatchObject({
      store: 'flaky',
      code: 'ERR_STORE_WRITE',
      err: expect.any(Error),
    });
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(logger.info.mock.calls[0]![0]).toMatchObject({ store: 'flaky', failedAttempts: 3 });
    expectInvariant(dispatcher);
  });

  it('retries a write that timed out (it may land twice; stores are idempotent by id)', async () => {
    const store = new RecordingStore('late');
    let calls = 0;
    const late: Store = {
      name: 'late',
      write(records) {
        calls++;
        // The first call lands after its timeout, the retry in time.
        const delay = calls === 1 ? 60 : 0;
        return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() =>
          store.write(records),
        );
      },
    };
    const dispatcher = new Dispatcher(fastOptions([late], { writeTimeoutMs: 20 }));
    pushAll(dispatcher, items(0, 3));
    await dispatcher.flush();
    expect(dispatcher.stats().stores[0]).toMatchObject({ written: 3, failures: 1, timeouts: 1 });
    await sleep(80);
    expect(new Set(store.ids)).toEqual(new Set([idOf(0), idOf(1), idOf(2)]));
    expectInvariant(dispatcher);
  });

  for (const [kind, make] of Object.entries(deadStores)) {
    it(`drops batches as storeError once retries run out when a store ${kind}, and flush still resolves`, async () => {
      const logger = spyLogger();
      const dispatcher = new Dispatcher(
        fastOptions([make()], { logger, batchSize: 5, maxRetries: 2, writeTimeoutMs: 20 }),
      );
      pushAll(dispatcher, items(0, 10));
      await dispatcher.flush();
      const stats = dispatcher.stats().stores[0]!;
      expect(stats).toMatchObject({
        written: 0,
        buffered: 0,
        failures: 6,
        timeouts: kind === 'never settles' ? 6 : 0,
        dropped: { storeError: 10 },
      });
      expect(typeof stats.lastError).toBe('string');
      // One streak across both batches: reported once.
      expect(logger.error).toHaveBeenCalledTimes(1);
      expectInvariant(dispatcher);
    });
  }

  it('reports an error once per failure streak, and each recovery once', async () => {
    const logger = spyLogger();
    const store = new RecordingStore('toggle');
    let down = true;
    const toggle: Store = {
      name: 'toggle',
      write: (records) => (down ? Promise.reject(new Error('down')) : store.write(records)),
    };
    const dispatcher = new Dispatcher(
      fastOptions([toggle], { logger, maxRetries: 1000, retryBaseMs: 1, retryMaxMs: 2 }),
    );

    for (let streak = 1; streak <= 2; streak++) {
      down = true;
      pushAll(dispatcher, items(streak * 100, 5));
      await vi.waitFor(
        () => expect(dispatcher.stats().stores[0]!.failures).toBeGreaterThanOrEqual(streak * 10),
        { timeout: 2000, interval: 2 },
      );
      expect(logger.error).toHaveBeenCalledTimes(streak);
      expect(logger.info).toHaveBeenCalledTimes(streak - 1);
      down = false;
      await dispatcher.flush();
      expect(logger.info).toHaveBeenCalledTimes(streak);
      expectInvariant(dispatcher);
    }
    expect(store.ids).toHaveLength(10);
    expect(logger.error).toHaveBeenCalledTimes(2);
  });

  it('keeps lastError readable whatever is thrown', async () => {
    const weird: Store = {
      name: 'weird',
      write() {
        throw Object.assign(Object.create(null), { toString: null });
      },
    };
    const dispatcher = new Dispatcher(fastOptions([weird], { maxRetries: 0 }));
    pushAll(dispatcher, items(0, 1));
    await dispatcher.flush();
    expect(dispatcher.stats().stores[0]!.lastError).toBe('unprintable error');
    expectInvariant(dispatcher);
  });
});

describe('init', () => {
  it('awaits init before the first write and retries a failing init with backoff', async () => {
    const events: string[] = [];
    let initFailures = 2;
    const store: Store = {
      name: 'needs-init',
      async init() {
        events.push('init');
        await sleep(5);
        if (initFailures-- > 0) throw new Error('not connected');
        events.push('ready');
      },
      write(records) {
        events.push(`write ${records.length}`);
      },
    };
    const logger = spyLogger();
    const dispatcher = new Dispatcher(fastOptions([store], { logger, batchSize: 3 }));
    pushAll(dispatcher, items(0, 5));
    await dispatcher.flush();
    expect(events).toEqual(['init', 'init', 'init', 'ready', 'write 3', 'write 2']);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]![0]).toMatchObject({ code: 'ERR_STORE_INIT' });
    expect(dispatcher.stats().stores[0]).toMatchObject({ written: 5, failures: 2 });
    expectInvariant(dispatcher);
  });

  it('calls init once when it succeeds', async () => {
    const init = vi.fn();
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(
      fastOptions([{ name: 'once', init, write: (records) => store.write(records) }], {
        batchSize: 2,
      }),
    );
    pushAll(dispatcher, items(0, 6));
    await dispatcher.flush();
    pushAll(dispatcher, items(6, 2));
    await dispatcher.flush();
    expect(init).toHaveBeenCalledTimes(1);
    expect(store.ids).toHaveLength(8);
  });
});

describe('isolation', () => {
  for (const [kind, make] of Object.entries(deadStores)) {
    it(`delivers to a healthy store while a store that ${kind} is still retrying`, async () => {
      const healthy = new RecordingStore('healthy');
      const dead = make();
      const logger = spyLogger();
      const dispatcher = new Dispatcher(
        fastOptions([dead, healthy], {
          logger,
          batchSize: 10,
          writeTimeoutMs: 2_000,
          maxRetries: 5,
          retryBaseMs: 1_000,
          retryMaxMs: 5_000,
        }),
      );
      pushAll(dispatcher, items(0, 30));
      await vi.waitFor(() => expect(healthy.ids).toHaveLength(30), { timeout: 500, interval: 2 });

      const [deadStats, healthyStats] = dispatcher.stats().stores;
      expect(healthyStats).toMatchObject({ written: 30, buffered: 0, failures: 0 });
      expect(deadStats!.written).toBe(0);
      expect(deadStats!.buffered).toBe(30);
      expect(deadStats!.dropped.storeError).toBe(0);
      expectInvariant(dispatcher);
      if (kind !== 'never settles') {
        expect(logger.error).toHaveBeenCalledTimes(1);
        expect(logger.error.mock.calls[0]![0]).toMatchObject({ store: dead.name });
      }

      await dispatcher.close({ timeoutMs: 0 });
      expect(dispatcher.stats().stores[0]).toMatchObject({ dropped: { shutdown: 30 } });
      expectInvariant(dispatcher);
    });
  }

  it('does not hold a fast store back behind a slow one', async () => {
    const slow = new SlowStore(300);
    const fast = new RecordingStore('fast');
    const dispatcher = new Dispatcher(fastOptions([slow, fast], { writeTimeoutMs: 5_000 }));
    pushAll(dispatcher, items(0, 10));
    // The fast store has everything while the slow store's first write is still under way.
    await vi.waitFor(() => expect(fast.ids).toHaveLength(10), { timeout: 250, interval: 2 });
    expect(slow.ids).toHaveLength(0);
    await dispatcher.flush();
    expect(slow.ids).toHaveLength(10);
    expectInvariant(dispatcher);
  });

  it('observes a rejection that arrives after its write timed out', async () => {
    const late: Store = {
      name: 'late-reject',
      write: () =>
        new Promise<void>((_, reject) => setTimeout(() => reject(new Error('too late')), 30)),
    };
    const dispatcher = new Dispatcher(fastOptions([late], { writeTimeoutMs: 5, maxRetries: 1 }));
    pushAll(dispatcher, items(0, 2));
    await dispatcher.flush();
    expect(dispatcher.stats().stores[0]).toMatchObject({ timeouts: 2, dropped: { storeError: 2 } });
    // The abandoned promises reject now; the afterEach/afterAll hooks check nobody saw them.
    await sleep(60);
    expectInvariant(dispatcher);
  });

  it('keeps store failures off the request path: push returns at once whatever the store does', () => {
    const records: AccessRecord[] = [];
    const dispatcher = new Dispatcher(
      fastOptions(
        [
          deadStores.throws(),
          deadStores.rejects(),
          deadStores['never settles'](),
          { name: 'sync', write: (batch) => void records.push(...batch) },
        ],
        { maxDelayMs: 0 },
      ),
    );
    for (let i = 0; i < 1000; i++) dispatcher.push({ n: i });
    // Nothing was processed or written synchronously: that all happens after push returns.
    expect(records).toHaveLength(0);
    expectInvariant(dispatcher);
    return dispatcher.close({ timeoutMs: 0 });
  });
});
