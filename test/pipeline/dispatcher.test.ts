import { describe, expect, it, vi } from 'vitest';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { Fifo } from '../../src/pipeline/fifo.js';
import type { AccessRecord } from '../../src/record.js';
import { backoffDelay } from '../../src/shared/store-call.js';
import type { Store } from '../../src/stores/store.js';
import {
  deadStores,
  expectInvariant,
  fastOptions,
  guardUnhandledRejections,
  idOf,
  items,
  nextTurn,
  processItem,
  pushAll,
  RecordingStore,
  SlowStore,
  sleep,
  spyLogger,
} from './fixtures.js';

guardUnhandledRejections();

describe('batching and flush', () => {
  it('writes every record once, in order, in batches of at most batchSize', async () => {
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(fastOptions([store], { batchSize: 7 }));
    pushAll(dispatcher, items(0, 100));
    expectInvariant(dispatcher);
    await dispatcher.flush();

    expect(store.ids).toEqual(items(0, 100).map((item) => idOf(item.n)));
    expect(Math.max(...store.batches.map((batch) => batch.length))).toBeLessThanOrEqual(7);
    const stats = dispatcher.stats();
    expect(stats).toMatchObject({ accepted: 100, buffered: 0, invalid: 0 });
    expect(stats.stores[0]).toMatchObject({ written: 100, buffered: 0, failures: 0 });
    expectInvariant(dispatcher);
  });

  it('does no work in push: processing waits for a later turn', async () => {
    const process = vi.fn(processItem);
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(fastOptions([store], { process, batchSize: 2 }));
    pushAll(dispatcher, items(0, 5));
    expect(process).not.toHaveBeenCalled();
    expect(dispatcher.stats().buffered).toBe(5);
    expect(dispatcher.stats().stores[0]!.buffered).toBe(5);
    expectInvariant(dispatcher);
    await nextTurn();
    expect(process).toHaveBeenCalledTimes(5);
    await dispatcher.flush();
    expect(store.ids).toHaveLength(5);
  });

  it('writes a partial batch after maxDelayMs without a flush', async () => {
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(fastOptions([store], { batchSize: 100, maxDelayMs: 40 }));
    const started = Date.now();
    pushAll(dispatcher, items(0, 3));
    await nextTurn();
    expect(store.ids).toEqual([]);
    await vi.waitFor(() => expect(store.ids).toHaveLength(3), { timeout: 1000, interval: 5 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expectInvariant(dispatcher);
  });

  it('resolves flush with nothing pushed', async () => {
    const dispatcher = new Dispatcher(fastOptions([new RecordingStore()]));
    await dispatcher.flush();
    expectInvariant(dispatcher);
  });

  it('waits in flush only for items pushed before it', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = new RecordingStore();
    // Batches holding items pushed after the flush hang until the gate opens.
    const gated: Store = {
      name: 'gated',
      write: (records) =>
        records.some((record) => Number(record.id.slice('item-'.length)) >= 10)
          ? gate.then(() => store.write(records))
          : store.write(records),
    };
    const dispatcher = new Dispatcher(fastOptions([gated], { batchSize: 10 }));
    pushAll(dispatcher, items(0, 10));
    const first = dispatcher.flush();
    pushAll(dispatcher, items(10, 10));
    await first;
    expect(store.ids).toEqual(items(0, 10).map((item) => idOf(item.n)));
    expect(dispatcher.stats().stores[0]!.buffered).toBe(10);
    expectInvariant(dispatcher);

    const second = dispatcher.flush();
    release();
    await second;
    expect(store.ids).toHaveLength(20);
    expectInvariant(dispatcher);
  });

  it('keeps two dispatchers independent', async () => {
    const a = new RecordingStore('a');
    const b = new RecordingStore('b');
    const first = new Dispatcher(fastOptions([a]));
    const second = new Dispatcher(fastOptions([b]));
    pushAll(first, items(0, 3));
    pushAll(second, items(100, 5));
    await Promise.all([first.flush(), second.flush()]);
    expect(a.ids).toEqual([idOf(0), idOf(1), idOf(2)]);
    expect(b.ids).toHaveLength(5);
    expect(first.stats().accepted).toBe(3);
    expect(second.stats().accepted).toBe(5);
  });

  it('waits for ready before processing, and carries on when it rejects', async () => {
    let fail: (err: Error) => void = () => {};
    const ready = new Promise((_, reject) => {
      fail = reject;
    });
    const logger = spyLogger();
    const process = vi.fn(processItem);
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(fastOptions([store], { ready, logger, process }));
    pushAll(dispatcher, items(0, 4));
    const flushed = dispatcher.flush();
    await sleep(20);
    expect(process).not.toHaveBeenCalled();
    fail(new Error('no GeoIP data'));
    await flushed;
    expect(store.ids).toHaveLength(4);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toMatchObject({ code: 'ERR_PIPELINE_READY' });
  });
});

describe('invalid items', () => {
  it('drops only the item whose process throws, and reports it once', async () => {
    const logger = spyLogger();
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(fastOptions([store], { logger }));
    pushAll(dispatcher, [{ n: 0 }, { n: 1, bad: true }, { n: 2 }, { n: 3, bad: true }, { n: 4 }]);
    await dispatcher.flush();

    expect(store.ids).toEqual([idOf(0), idOf(2), idOf(4)]);
    const stats = dispatcher.stats();
    expect(stats.invalid).toBe(2);
    expect(stats.stores[0]!.dropped.invalid).toBe(2);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]![0]).toMatchObject({ code: 'ERR_RECORD_INVALID' });
    expectInvariant(dispatcher);
  });

  it('treats a throwing sizeOf as invalid, synchronously and without throwing', () => {
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(
      fastOptions([store], {
        sizeOf: () => {
          throw new Error('cannot measure');
        },
        // Even a logger that throws must not reach the request path.
        logger: {
          warn: () => {
            throw new Error('logger down');
          },
          error: () => {
            throw new Error('logger down');
          },
        },
      }),
    );
    expect(() => dispatcher.push({ n: 0 })).not.toThrow();
    expect(() => dispatcher.push({ n: 1 })).not.toThrow();
    const stats = dispatcher.stats();
    expect(stats).toMatchObject({ accepted: 2, invalid: 2, buffered: 0 });
    expect(stats.stores[0]!.dropped.invalid).toBe(2);
    expectInvariant(dispatcher);
  });

  it('treats a process that returns no object as invalid', async () => {
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(
      fastOptions([store], {
        process: (item) =>
          item.n === 1 ? (undefined as unknown as AccessRecord) : processItem(item),
      }),
    );
    pushAll(dispatcher, items(0, 3));
    await dispatcher.flush();
    expect(store.ids).toEqual([idOf(0), idOf(2)]);
    expect(dispatcher.stats().invalid).toBe(1);
    expectInvariant(dispatcher);
  });
});

describe('bounds', () => {
  it('keeps a never-settling store at maxRecords and counts the rest as bufferFull', async () => {
    const store = deadStores['never settles']();
    const dispatcher = new Dispatcher(
      fastOptions([store], { maxRecords: 1000, batchSize: 100, writeTimeoutMs: 60_000 }),
    );
    for (let round = 0; round < 10; round++) {
      pushAll(dispatcher, items(round * 5000, 5000));
      const stats = dispatcher.stats();
      expect(stats.buffered).toBeLessThanOrEqual(1000);
      expect(stats.stores[0]!.buffered).toBeLessThanOrEqual(1000);
      expectInvariant(dispatcher);
      await nextTurn();
      await nextTurn();
    }
    const stats = dispatcher.stats();
    expect(stats.accepted).toBe(50_000);
    expect(stats.buffered).toBe(0);
    expect(stats.stores[0]!.buffered).toBe(1000);
    expect(stats.stores[0]!.dropped.bufferFull).toBe(49_000);
    expectInvariant(dispatcher);

    await dispatcher.close({ timeoutMs: 20 });
    expect(dispatcher.stats().stores[0]).toMatchObject({
      buffered: 0,
      dropped: { bufferFull: 49_000, shutdown: 1000 },
    });
    expectInvariant(dispatcher);
  });

  it('bounds the bytes buffered for a store', () => {
    const dispatcher = new Dispatcher(
      fastOptions([deadStores['never settles']()], {
        sizeOf: () => 1000,
        maxBytes: 10_500,
        writeTimeoutMs: 60_000,
      }),
    );
    pushAll(dispatcher, items(0, 50));
    const stats = dispatcher.stats();
    expect(stats.stores[0]!.buffered).toBe(10);
    expect(stats.stores[0]!.dropped.bufferFull).toBe(40);
    expectInvariant(dispatcher);
    return dispatcher.close({ timeoutMs: 0 });
  });

  it('drops for a full store only, and fills the others', async () => {
    const healthy = new RecordingStore('healthy');
    const dead = deadStores['never settles']();
    const dispatcher = new Dispatcher(
      fastOptions([dead, healthy], { maxRecords: 10, batchSize: 5, writeTimeoutMs: 60_000 }),
    );
    for (let i = 0; i < 10; i++) {
      pushAll(dispatcher, items(i * 5, 5));
      await nextTurn();
    }
    await vi.waitFor(() => expect(healthy.ids).toHaveLength(50), { timeout: 1000, interval: 5 });
    const [deadStats, healthyStats] = dispatcher.stats().stores;
    expect(deadStats).toMatchObject({ buffered: 10, dropped: { bufferFull: 40 } });
    expect(healthyStats).toMatchObject({ written: 50, dropped: { bufferFull: 0 } });
    expectInvariant(dispatcher);
    await dispatcher.close({ timeoutMs: 0 });
    expectInvariant(dispatcher);
  });
});

describe('close', () => {
  it('writes what is buffered and what comes meanwhile, closes each store once, counts later pushes as closed', async () => {
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(fastOptions([store], { maxDelayMs: 10_000 }));
    pushAll(dispatcher, items(0, 5));
    const closing = dispatcher.close();
    expect(dispatcher.close()).toBe(closing);
    // The store still holds records to write, so it still takes this one.
    dispatcher.push({ n: 5 });
    await closing;
    dispatcher.push({ n: 6 });

    expect(store.ids).toHaveLength(6);
    expect(store.closed).toBe(1);
    expect(dispatcher.stats().stores[0]).toMatchObject({
      accepted: 7,
      written: 6,
      dropped: { closed: 1, shutdown: 0 },
    });
    expectInvariant(dispatcher);
    await dispatcher.flush();
  });

  for (const [kind, make] of Object.entries(deadStores)) {
    it(`resolves within its timeout with a store that ${kind}, counting leftovers as shutdown`, async () => {
      const healthy = new RecordingStore('healthy');
      const dispatcher = new Dispatcher(
        fastOptions([make(), healthy], {
          batchSize: 10,
          writeTimeoutMs: 5_000,
          retryBaseMs: 1_000,
          retryMaxMs: 5_000,
        }),
      );
      pushAll(dispatcher, items(0, 25));
      await nextTurn();
      const started = Date.now();
      await dispatcher.close({ timeoutMs: 150 });
      const elapsed = Date.now() - started;

      expect(elapsed).toBeLessThan(150 + 200);
      expect(healthy.ids).toHaveLength(25);
      expect(healthy.closed).toBe(1);
      const [deadStats, healthyStats] = dispatcher.stats().stores;
      expect(deadStats).toMatchObject({ written: 0, buffered: 0, dropped: { shutdown: 25 } });
      expect(healthyStats).toMatchObject({ written: 25, buffered: 0 });
      expectInvariant(dispatcher);
    });
  }

  it('drops items still waiting for ready as shutdown', async () => {
    const store = new RecordingStore();
    const dispatcher = new Dispatcher(fastOptions([store], { ready: new Promise(() => {}) }));
    pushAll(dispatcher, items(0, 3));
    await dispatcher.close({ timeoutMs: 20 });
    expect(dispatcher.stats()).toMatchObject({ buffered: 0 });
    expect(dispatcher.stats().stores[0]).toMatchObject({ dropped: { shutdown: 3 }, buffered: 0 });
    expectInvariant(dispatcher);
  });

  it('survives a store whose close throws or hangs', async () => {
    const logger = spyLogger();
    const throwing: Store = {
      name: 'bad-close',
      write: () => {},
      close: () => {
        throw new Error('cannot close');
      },
    };
    const hanging: Store = {
      name: 'hung-close',
      write: () => {},
      close: () => new Promise(() => {}),
    };
    const dispatcher = new Dispatcher(fastOptions([throwing, hanging], { logger }));
    pushAll(dispatcher, items(0, 2));
    const started = Date.now();
    await dispatcher.close({ timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(300);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(logger.warn.mock.calls.map((call) => call[0])).toEqual([
      expect.objectContaining({ code: 'ERR_STORE_CLOSE', store: 'bad-close' }),
      expect.objectContaining({ code: 'ERR_STORE_CLOSE', store: 'hung-close' }),
    ]);
    expectInvariant(dispatcher);
  });

  it('closes a slow but healthy store after its writes', async () => {
    const slow = new SlowStore(30);
    const dispatcher = new Dispatcher(fastOptions([slow], { batchSize: 5 }));
    pushAll(dispatcher, items(0, 12));
    await dispatcher.close({ timeoutMs: 2_000 });
    expect(slow.ids).toHaveLength(12);
    expect(slow.closed).toBe(1);
    expectInvariant(dispatcher);
  });
});

describe('construction and helpers', () => {
  it('rejects out-of-range options at construction', () => {
    expect(() => new Dispatcher(fastOptions([], { batchSize: 0 }))).toThrow(RangeError);
    expect(() => new Dispatcher(fastOptions([], { maxRecords: 1.5 }))).toThrow(/maxRecords/);
    expect(() => new Dispatcher(fastOptions([{} as Store]))).toThrow(TypeError);
  });

  it('names repeated stores apart', () => {
    const dispatcher = new Dispatcher(
      fastOptions([new RecordingStore('mem'), new RecordingStore('mem'), new RecordingStore('x')]),
    );
    expect(dispatcher.stats().stores.map((store) => store.name)).toEqual(['mem', 'mem#2', 'x']);
  });

  it('keeps FIFO order across compaction', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 5000; i++) fifo.push(i);
    for (let i = 0; i < 3000; i++) expect(fifo.shift()).toBe(i);
    for (let i = 5000; i < 6000; i++) fifo.push(i);
    expect(fifo.take(10)).toEqual([3000, 3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008, 3009]);
    expect(fifo.length).toBe(2990);
    expect(fifo.peek()).toBe(3010);
    const rest = fifo.drain();
    expect(rest[0]).toBe(3010);
    expect(rest.at(-1)).toBe(5999);
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });

  it('draws backoff delays with full jitter below the capped exponential', () => {
    expect(backoffDelay(1, 100, 30_000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 30_000, () => 0.5)).toBe(200);
    expect(backoffDelay(20, 100, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffDelay(1, 100, 30_000, () => 0)).toBe(0);
  });
});
