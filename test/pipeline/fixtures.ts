import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import type { Dispatcher, DispatcherOptions } from '../../src/pipeline/dispatcher.js';
import type { AccessRecord } from '../../src/record.js';
import type { Store } from '../../src/stores/store.js';
import { makeRecord } from '../helpers/records.js';

/** A captured item as the tests push it; `bad` makes `process` throw for it. */
export interface Item {
  n: number;
  size?: number;
  bad?: boolean;
}

/** The record id an item becomes. */
export const idOf = (n: number): string => `item-${n}`;

export function items(from: number, count: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({ n: from + i }));
}

export function processItem(item: Item): AccessRecord {
  if (item.bad) throw new Error(`cannot process item ${item.n}`);
  return makeRecord({ id: idOf(item.n) });
}

/** A logger whose calls can be counted. */
export function spyLogger() {
  return {
    error: vi.fn<(details: object, message: string) => void>(),
    warn: vi.fn<(details: object, message: string) => void>(),
    info: vi.fn<(details: object, message: string) => void>(),
  };
}

/** Options that make retries and timeouts fast enough for a test suite. */
export function fastOptions(
  stores: Store[],
  overrides: Partial<DispatcherOptions<Item>> = {},
): DispatcherOptions<Item> {
  return {
    stores,
    process: processItem,
    sizeOf: (item) => item.size ?? 100,
    logger: spyLogger(),
    maxDelayMs: 5,
    writeTimeoutMs: 100,
    maxRetries: 3,
    retryBaseMs: 1,
    retryMaxMs: 5,
    ...overrides,
  };
}

export function pushAll(dispatcher: Dispatcher<Item>, list: Item[]): void {
  for (const item of list) dispatcher.push(item);
}

/** Check, for every store, `accepted === written + dropped + buffered`. */
export function expectInvariant(dispatcher: Dispatcher<Item>): void {
  const stats = dispatcher.stats();
  for (const store of stats.stores) {
    const dropped = Object.values(store.dropped).reduce((sum, n) => sum + n, 0);
    expect(store.accepted, `invariant of ${store.name}`).toBe(
      store.written + dropped + store.buffered,
    );
    expect(store.accepted).toBe(stats.accepted);
  }
}

/** A store that keeps every batch it is given. */
export class RecordingStore implements Store {
  readonly batches: AccessRecord[][] = [];
  closed = 0;
  constructor(readonly name = 'recording') {}
  write(records: readonly AccessRecord[]): void {
    this.batches.push([...records]);
  }
  close(): void {
    this.closed++;
  }
  get ids(): string[] {
    return this.batches.flat().map((record) => record.id);
  }
}

/** Fails (by rejecting) its first `failures` writes, then records like {@link RecordingStore}. */
export class FlakyStore extends RecordingStore {
  attempts = 0;
  constructor(
    public failures: number,
    name = 'flaky',
  ) {
    super(name);
  }
  override write(records: readonly AccessRecord[]): Promise<void> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('temporarily down'));
    }
    super.write(records);
    return Promise.resolve();
  }
}

/** Answers every write after `delayMs`. */
export class SlowStore extends RecordingStore {
  constructor(
    private readonly delayMs: number,
    name = 'slow',
  ) {
    super(name);
  }
  override write(records: readonly AccessRecord[]): Promise<void> {
    return new Promise((resolve) =>
      setTimeout(() => {
        super.write(records);
        resolve();
      }, this.delayMs),
    );
  }
}

/** Three ways for a store to be dead. */
export const deadStores = {
  throws: (): Store => ({
    name: 'throws',
    write() {
      throw new Error('synchronous failure');
    },
  }),
  rejects: (): Store => ({
    name: 'rejects',
    write: () => Promise.reject(new Error('asynchronous failure')),
  }),
  'never settles': (): Store => ({
    name: 'never settles',
    write: () => new Promise<void>(() => {}),
  }),
} satisfies Record<string, () => Store>;

/** Resolves on the next turn of the event loop, after pending I/O and immediates. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fail the file's tests if any store call's rejection goes unobserved: Express 4 and Node end the
 * process on one. Late rejections of abandoned store calls surface within a few turns.
 */
export function guardUnhandledRejections(): void {
  const unhandled = vi.fn();
  beforeAll(() => {
    process.on('unhandledRejection', unhandled);
  });
  afterEach(() => {
    expect(unhandled).not.toHaveBeenCalled();
  });
  afterAll(async () => {
    await sleep(50);
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });
}
