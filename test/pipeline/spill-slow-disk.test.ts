/**
 * The disk spill on a disk whose syncs hang (as on a busy shared machine, where one fsync can take
 * seconds): every `sync()` of a file handle waits until the test lets it go. A steady stream must
 * still fit in a small memory buffer, and a process that ends before its syncs must not lose what
 * it wrote.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dispatcher } from '../../src/pipeline/dispatcher.js';
import type { AccessRecord } from '../../src/record.js';
import type { Store } from '../../src/stores/store.js';
import { makeRecord } from '../helpers/records.js';
import { guardUnhandledRejections, type Item, idOf, items, pushAll } from './fixtures.js';
import { invariant, outageStore, spillDispatcher } from './spill-fixtures.js';

/** Syncs wait while `held`; `release()` lets the waiting ones go. */
const disk = vi.hoisted(() => {
  const waiting: (() => void)[] = [];
  return {
    held: false,
    waiting,
    release(): void {
      this.held = false;
      for (const go of waiting.splice(0)) go();
    },
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof actual.open>) => {
    const handle = await actual.open(...args);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      if (disk.held) await new Promise<void>((resolve) => disk.waiting.push(resolve));
      return sync();
    };
    return handle;
  };
  return { ...actual, open, default: { ...actual, open } };
});

guardUnhandledRejections();

const FUTURE = new Date(Date.now() + 365 * 86_400_000).toISOString();
/** Records whose retention lasts beyond the test: none expires while it waits on disk. */
const record = (item: Item): AccessRecord =>
  makeRecord({ id: idOf(item.n), expires: { essential: FUTURE, nonessential: FUTURE } });

const dispatcherFor = (store: Store) => spillDispatcher(store, record);

/**
 * A steady stream: chunks of 10, each once memory (buffered minus spilled) has room for it. The
 * stream does not wait for the disk for ever: once memory has had no room for 5 s, the rest comes
 * without waiting, as requests would.
 */
async function stream(dispatcher: Dispatcher<Item>, list: readonly Item[]): Promise<void> {
  pushAll(dispatcher, list.slice(0, 1));
  await vi.waitFor(() => expect(dispatcher.stats().stores[0]!.failures).toBeGreaterThan(0));
  let patient = true;
  for (let start = 1; start < list.length; start += 10) {
    if (patient) {
      await vi
        .waitFor(
          () => {
            const stats = dispatcher.stats().stores[0]!;
            expect(stats.buffered - (stats.spilled ?? 0)).toBeLessThanOrEqual(30);
          },
          { timeout: 5000 },
        )
        .catch(() => {
          patient = false;
        });
    }
    pushAll(dispatcher, list.slice(start, start + 10));
  }
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'epl-spill-sync-')), 'spill');
});
afterEach(async () => {
  disk.release();
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('disk spill on a disk whose syncs hang', () => {
  it('keeps taking a stream ten times the memory buffer: nothing dropped, all in order', async () => {
    const { store, state } = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    const dispatcher = dispatcherFor(store);
    disk.held = true;
    await stream(dispatcher, items(0, 400));
    const during = invariant(dispatcher);
    expect(during.dropped.bufferFull).toBe(0);
    expect(during.spilled).toBeGreaterThan(300);
    // No file is under its own name before its sync: a crash leaves whole files or none.
    expect((await files(dir)).filter((name) => name.endsWith('.ndjson'))).toEqual([]);

    disk.release();
    state.down = false;
    await dispatcher.flush();
    const after = invariant(dispatcher);
    expect(after).toMatchObject({ accepted: 400, written: 400, buffered: 0, spilled: 0 });
    expect(Object.values(after.dropped).every((n) => n === 0)).toBe(true);
    expect(state.written.map((r) => r.id)).toEqual(items(0, 400).map((i) => idOf(i.n)));
    expect(await files(dir)).toEqual([]);
    await dispatcher.close();
  });

  it('a process that ends before its syncs: the next one replays what it wrote whole', async () => {
    const first = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    const before = dispatcherFor(first.store);
    disk.held = true;
    await stream(before, items(0, 100));
    // The deadline passes while the syncs hang; the writer stops as a killed process would.
    await before.close({ timeoutMs: 100 });
    await vi.waitFor(() => {
      const stats = before.stats().stores[0]!;
      expect(stats.buffered).toBe(stats.spilled);
    });
    const closed = invariant(before);
    const onDisk = closed.spilled!;
    expect(onDisk + closed.dropped.shutdown).toBe(100);
    expect(onDisk).toBeGreaterThanOrEqual(60);
    const written = await files(dir);
    expect(written.length).toBeGreaterThan(0);
    expect(written.every((name) => name.endsWith('.tmp'))).toBe(true);
    // A file cut short by the end of a process (three of its five lines): its records were
    // still in that process's memory.
    const cut = 'spill-9999999999999999.ndjson.5.tmp';
    await writeFile(join(dir, cut), '{"v":1}\n{"v":1}\n{"v":1', { mode: 0o600 });

    // The earlier process's syncs never finish; the next one's do.
    disk.held = false;
    const second = outageStore({ dir, maxBytes: 10 * 1024 * 1024 });
    second.state.down = false;
    const after = dispatcherFor(second.store);
    pushAll(after, items(1000, 5));
    await after.flush();
    const stats = invariant(after);
    expect(stats).toMatchObject({ recovered: onDisk, written: onDisk + 5, buffered: 0 });
    expect(stats.dropped.invalid).toBe(0);
    const ids = second.state.written.map((r) => r.id);
    const pushed = items(0, 100).map((i) => idOf(i.n));
    // The earlier records first, in the order they were pushed, each once; then the new ones.
    const earlier = ids.slice(0, onDisk);
    expect(earlier).toEqual(pushed.filter((id) => earlier.includes(id)));
    expect(new Set(earlier).size).toBe(onDisk);
    expect(ids.slice(onDisk)).toEqual(items(1000, 5).map((i) => idOf(i.n)));
    expect(await files(dir)).toEqual([]);
    await after.close();
  });
});
