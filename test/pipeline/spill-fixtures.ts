import { expect } from 'vitest';
import { Dispatcher, type DispatcherOptions } from '../../src/pipeline/dispatcher.js';
import type { AccessRecord } from '../../src/record.js';
import { type SpillSettings, spillSettingsOf } from '../../src/stores/spill-options.js';
import type { Store } from '../../src/stores/store.js';
import { fastOptions, type Item } from './fixtures.js';

/** A network store stand-in that is down until `state.down` is cleared, with a spill. */
export function outageStore(spill: SpillSettings, name = 'net') {
  const state = { down: true, written: [] as AccessRecord[] };
  const store: Store & { [spillSettingsOf]: SpillSettings } = {
    name,
    write(records) {
      if (state.down) return Promise.reject(new Error('connection refused'));
      state.written.push(...records);
      return Promise.resolve();
    },
    [spillSettingsOf]: spill,
  };
  return { store, state };
}

/** A 40-record memory buffer, batches of 10, unlimited retries (the default) unless overridden. */
export function spillDispatcher(
  store: Store,
  process: (item: Item) => AccessRecord,
  overrides: Partial<DispatcherOptions<Item>> = {},
): Dispatcher<Item> {
  const options = fastOptions([store], { process, maxRecords: 40, batchSize: 10 });
  delete options.maxRetries;
  return new Dispatcher({ ...options, ...overrides });
}

/** accepted = written + dropped + buffered, with `accepted` the store's own (recovered included). */
export function invariant(dispatcher: Dispatcher<Item>) {
  const stats = dispatcher.stats().stores[0]!;
  const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0);
  expect(stats.accepted).toBe(stats.written + dropped + stats.buffered);
  return stats;
}
