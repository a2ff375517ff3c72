import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dispatcher, DispatcherOptions } from '../../src/pipeline/dispatcher.js';
import type { AccessRecord } from '../../src/record.js';
import type { ConsentEvent } from '../../src/stores/consent-events.js';
import type { Store } from '../../src/stores/store.js';
import { makeRecord } from '../helpers/records.js';
import { guardUnhandledRejections, type Item, idOf, items, pushAll } from './fixtures.js';
import { invariant, outageStore, spillDispatcher } from './spill-fixtures.js';

guardUnhandledRejections();

const FUTURE = new Date(Date.now() + 365 * 86_400_000).toISOString();
const PAST = new Date(Date.now() - 86_400_000).toISOString();

/** Items with `expired` get an essential expiry in the past; every item has visitor `v<n % 3>`. */
function record(item: Item & { expired?: boolean }): AccessRecord {
  const expiry = item.expired ? PAST : FUTURE;
  return makeRecord({
    id: idOf(item.n),
    nonessential: { visitorId: `v${item.n % 3}` },
    expires: { essential: expiry, nonessential: expiry },
  });
}

function dispatcherFor(store: Store, overrides: Partial<DispatcherOptions<Item>> = {}) {
  return spillDispatcher(store, record, overrides);
}

/**
 * Push in chunks of 10, each once the memory buffer (40) has room for it: a spill file is
 * written while the buffer's other half takes new records, as the threshold intends.
 */
async function feed(dispatcher: Dispatcher<Item>, list: readonly Item[]): Promise<void> {
  // The first batch fails before the rest arrives, and stays in flight: nothing is read back from
  // the spill meanwhile, so buffered - spilled is what memory holds.
  pushAll(dispatcher, list.slice(0, 1));
  await vi.waitFor(() => expect(dispatcher.stats().stores[0]!.failures).toBeGreaterThan(0));
  for (let start = 1; start < list.length; start += 10) {
    await vi.waitFor(() => {
      const stats = dispatcher.stats().stores[0]!;
      expect(stats.buffered - (stats.spilled ?? 0)).toBeLessThanOrEqual(30);
    }, 10_000);
    pushAll(dispatcher, list.slice(start, start + 10));
  }
}

async function spillFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.ndjson')).sort();
}

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'epl-spill-')), 'spill');
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('disk spill', () => {
  it('holds an outage far beyond the memory buffer and replays it in order, losing nothing', async () => {
    const { store, state } = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    const dispatcher = dispatcherFor(store);
    await feed(dispatcher, items(0, 400));
    const during = invariant(dispatcher);
    expect(during.dropped.bufferFull).toBe(0);
    expect(during.spilled).toBeGreaterThan(300);
    // Files and directory are private to the process's user.
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = await spillFiles(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect((await stat(join(dir, file))).mode & 0o777).toBe(0o600);

    state.down = false;
    await dispatcher.flush();
    const after = invariant(dispatcher);
    expect(after).toMatchObject({ written: 400, buffered: 0, spilled: 0 });
    expect(state.written.map((r) => r.id)).toEqual(items(0, 400).map((i) => idOf(i.n)));
    expect(await spillFiles(dir)).toEqual([]);
    await dispatcher.close();
  });

  it('a consent event that rode with a spilled record reaches the ledger after the outage', async () => {
    const { store, state } = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    const ledger: ConsentEvent[] = [];
    store.writeConsents = (events) => {
      if (state.down) return Promise.reject(new Error('connection refused'));
      ledger.push(...events);
      return Promise.resolve();
    };
    // Every fifth request changed its visitor's choice.
    const consentOf = (item: Item, rec: AccessRecord): ConsentEvent | undefined =>
      item.n % 5 === 0
        ? {
            v: 1,
            id: `c-${rec.id}`,
            time: rec.time,
            visitorId: `v${item.n % 3}`,
            choice: 'in',
            source: 'button',
            policy: 'test@1',
            notice: 'a'.repeat(64),
            expires: FUTURE,
          }
        : undefined;
    const dispatcher = dispatcherFor(store, { consentOf });
    await feed(dispatcher, items(0, 200));
    expect(invariant(dispatcher).spilled).toBeGreaterThan(100);
    const onDisk = (
      await Promise.all((await spillFiles(dir)).map((file) => readFile(join(dir, file), 'utf8')))
    ).join('');
    expect(onDisk).toContain('"consent":');

    state.down = false;
    await dispatcher.flush();
    expect(invariant(dispatcher)).toMatchObject({ written: 200, buffered: 0, spilled: 0 });
    const expected = items(0, 200)
      .filter((i) => i.n % 5 === 0)
      .map((i) => `c-${idOf(i.n)}`);
    expect(ledger.map((e) => e.id).sort()).toEqual(expected.sort());
    await dispatcher.close();
  });

  it('a later process replays what an earlier one spilled, before its own records', async () => {
    const first = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    const before = dispatcherFor(first.store);
    await feed(before, items(0, 100));
    await vi.waitFor(() => expect(before.stats().stores[0]!.spilled).toBeGreaterThan(0));
    // Still down at close: what fits goes to the spill instead of being dropped.
    await before.close({ timeoutMs: 200 });
    // A spill file begun before the deadline is finished after it: the records are on disk then.
    await vi.waitFor(() => {
      const stats = before.stats().stores[0]!;
      expect(stats.buffered).toBe(stats.spilled);
    });
    const closed = invariant(before);
    const onDisk = closed.spilled!;
    expect(onDisk + closed.dropped.shutdown).toBe(100);
    expect(onDisk).toBeGreaterThanOrEqual(90);

    const second = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    second.state.down = false;
    const after = dispatcherFor(second.store);
    pushAll(after, items(1000, 5));
    await after.flush();
    const stats = invariant(after);
    expect(stats).toMatchObject({ recovered: onDisk, written: onDisk + 5, buffered: 0 });
    expect(stats.accepted).toBe(after.stats().accepted + onDisk);
    const ids = second.state.written.map((r) => r.id);
    expect(ids.slice(-5)).toEqual(items(1000, 5).map((i) => idOf(i.n)));
    // The earlier records come first, in the order they were pushed, each once.
    const earlier = ids.slice(0, onDisk);
    const pushed = items(0, 100).map((i) => idOf(i.n));
    expect(earlier).toEqual(pushed.filter((id) => earlier.includes(id)));
    expect(new Set(earlier).size).toBe(onDisk);
    expect(await spillFiles(dir)).toEqual([]);
    await after.close();
  });

  it('drops a spilled record whose retention ended while it waited, and counts it', async () => {
    const { store, state } = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    const dispatcher = dispatcherFor(store);
    const list = items(0, 100).map((item) => ({ ...item, expired: item.n % 2 === 0 }));
    await feed(dispatcher, list);
    await vi.waitFor(() => expect(dispatcher.stats().stores[0]!.spilled).toBeGreaterThan(50));
    state.down = false;
    await dispatcher.flush();
    const stats = invariant(dispatcher);
    const replayedExpired = stats.dropped.expired;
    expect(replayedExpired).toBeGreaterThan(20);
    // Only records that went through the spill are checked there; the rest reached the store.
    expect(state.written).toHaveLength(100 - replayedExpired);
    expect(stats.written + replayedExpired).toBe(100);
  });

  it('an erasure during the outage removes the subject from the spill files and the memory', async () => {
    const { store, state } = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    const dispatcher = dispatcherFor(store);
    await feed(dispatcher, items(0, 150));
    await vi.waitFor(() => expect(dispatcher.stats().stores[0]!.spilled).toBeGreaterThan(90));
    const onDiskBefore = (
      await Promise.all((await spillFiles(dir)).map((f) => readFile(join(dir, f), 'utf8')))
    ).join('');
    expect(onDiskBefore).toContain('"visitorId":"v1"');

    const erased = await dispatcher.eraseBuffered('net', { visitorId: 'v1' });
    expect(erased).toBe(50);
    const onDisk = (
      await Promise.all((await spillFiles(dir)).map((f) => readFile(join(dir, f), 'utf8')))
    ).join('');
    expect(onDisk).not.toContain('"visitorId":"v1"');
    expect(onDisk).toContain('"visitorId":"v2"');
    expect(invariant(dispatcher).dropped.erased).toBe(50);

    state.down = false;
    await dispatcher.flush();
    expect(state.written).toHaveLength(100);
    expect(state.written.filter((r) => r.nonessential?.visitorId === 'v1')).toEqual([]);
    expect(invariant(dispatcher)).toMatchObject({ written: 100, buffered: 0 });
  });

  it('drops (bufferFull) only when memory and spill are both full, and counts every record', async () => {
    const { store, state } = outageStore({ dir, maxBytes: 64 * 1024 });
    const dispatcher = dispatcherFor(store);
    for (let start = 0; start < 1000; start += 50) {
      pushAll(dispatcher, items(start, 50));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const during = invariant(dispatcher);
    expect(during.dropped.bufferFull).toBeGreaterThan(0);
    state.down = false;
    await dispatcher.flush();
    const stats = invariant(dispatcher);
    expect(stats.written + stats.dropped.bufferFull).toBe(1000);
    expect(state.written).toHaveLength(stats.written);
    expect(new Set(state.written.map((r) => r.id)).size).toBe(stats.written);
  });
});

describe('retries', () => {
  it('by default a failing batch is retried until the store recovers: nothing dropped', async () => {
    const state = { down: true, written: [] as AccessRecord[] };
    const store: Store = {
      name: 'plain',
      write: (records) =>
        state.down ? Promise.reject(new Error('down')) : void state.written.push(...records),
    };
    const dispatcher = dispatcherFor(store, { maxRecords: 1000 });
    pushAll(dispatcher, items(0, 300));
    await vi.waitFor(() => expect(dispatcher.stats().stores[0]!.failures).toBeGreaterThan(50));
    expect(invariant(dispatcher)).toMatchObject({ written: 0, buffered: 300 });
    state.down = false;
    await dispatcher.flush();
    expect(invariant(dispatcher)).toMatchObject({ written: 300, buffered: 0 });
    expect(state.written.map((r) => r.id)).toEqual(items(0, 300).map((i) => idOf(i.n)));
  });

  it('a finite retry count still drops the batch as storeError', async () => {
    const store: Store = { name: 'dead', write: () => Promise.reject(new Error('down')) };
    const dispatcher = dispatcherFor(store, { maxRetries: 2 });
    pushAll(dispatcher, items(0, 10));
    await dispatcher.flush();
    expect(invariant(dispatcher).dropped.storeError).toBe(10);
  });
});
