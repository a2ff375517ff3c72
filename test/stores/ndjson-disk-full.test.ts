/**
 * NdjsonStore writing its own file on a disk that fills up, through the real middleware and
 * dispatcher: a simulated disk (file handles whose writes stop at a capacity, as a full disk
 * does: a short write, then ENOSPC) and, where the machine allows mounting one, a real tmpfs.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NdjsonStore } from '../../src/stores/ndjson/store.js';
import { startSite } from '../helpers/site.js';
import {
  expectAccounted,
  expectWrittenAreLogged,
  parseLog,
  type StoreCounts,
  within,
} from './ndjson-fault-helpers.js';

/** The simulated disk: files opened under `root` share its `capacity` in bytes. */
const disk = vi.hoisted(() => {
  const state = {
    root: '',
    capacity: Number.POSITIVE_INFINITY,
    /** Bytes handed to writes that have not returned yet, and the most ever at once. */
    pending: 0,
    maxPending: 0,
    wrap(handle: FileHandle): FileHandle {
      const write = async (buffer: Buffer, offset = 0, length = buffer.length - offset) => {
        state.pending += length;
        state.maxPending = Math.max(state.maxPending, state.pending);
        try {
          const room = state.capacity - (await handle.stat()).size;
          if (room <= 0) {
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
              code: 'ENOSPC',
              errno: -28,
              syscall: 'write',
            });
          }
          return await handle.write(buffer, offset, Math.min(length, room));
        } finally {
          state.pending -= length;
        }
      };
      return new Proxy(handle, {
        get(target, key) {
          if (key === 'write') return write;
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
  return state;
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const handle = await real.open(...args);
    const [path] = args;
    const onDisk = disk.root !== '' && typeof path === 'string' && path.startsWith(disk.root);
    return onDisk ? disk.wrap(handle) : handle;
  };
  return { ...real, open, default: { ...real, open } };
});

/** Quick retries that outlast a test's load, so that records wait while the disk is full. */
const RETRYING = {
  batch: { size: 20, maxDelayMs: 5 },
  retries: 100,
  retryMaxDelayMs: 100,
  writeTimeoutMs: 1000,
};

/** A generous bound on one batch of 20 records as NDJSON. */
const BATCH_BYTES = 20 * 1024;

beforeEach(() => {
  disk.root = mkdtempSync(join(tmpdir(), 'epl-disk-'));
  disk.capacity = Number.POSITIVE_INFINITY;
  disk.maxPending = 0;
});

afterEach(() => {
  rmSync(disk.root, { recursive: true, force: true });
  disk.root = '';
});

/** Resolve once `check` is true, polling; the test's own timeout bounds the wait. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('NdjsonStore to a file on a full disk, through the middleware', () => {
  it('disk full through close(): every record counted written is in the file, no torn line', async () => {
    const path = join(disk.root, 'access.ndjson');
    disk.capacity = 15_000;
    const site = await startSite(new NdjsonStore({ destination: path }), RETRYING);
    try {
      await site.load(15, 20, 10);
      expect(await within(site.log.close({ timeoutMs: 500 }), 10_000)).toBe(undefined);
      const counts = site.invariant();
      expectAccounted(counts);
      expect(counts.buffered).toBe(0);
      expect(counts.dropped.shutdown).toBeGreaterThan(0);
      const log = parseLog(await readFile(path, 'utf8'));
      expect(log.torn).toEqual([]);
      expectWrittenAreLogged(counts, log);
      expect(counts.written).toBeGreaterThan(0);
      expect(disk.maxPending).toBeLessThanOrEqual(BATCH_BYTES);
    } finally {
      await site.close();
    }
  });

  it('disk full, then freed: the waiting records arrive, once, and nothing is lost', async () => {
    const path = join(disk.root, 'access.ndjson');
    disk.capacity = 15_000;
    const site = await startSite(new NdjsonStore({ destination: path }), RETRYING);
    try {
      await site.load(5, 20, 10);
      // The file is checked once the logger is quiet: mid-run, a write may be under way.
      await until(() => site.invariant().failures > 0);
      disk.capacity = Number.POSITIVE_INFINITY;
      await site.load(2, 20, 10);
      await site.log.flush();
      const counts = site.invariant();
      expectAccounted(counts);
      expect(counts).toMatchObject({ accepted: 140, written: 140, buffered: 0 });
      const log = parseLog(await readFile(path, 'utf8'));
      expect(log.torn).toEqual([]);
      expectWrittenAreLogged(counts, log);
      expect(disk.maxPending).toBeLessThanOrEqual(BATCH_BYTES);
    } finally {
      await site.close();
    }
  });
});

/**
 * Mount a real tmpfs of `size` at a new folder; `undefined` when this machine does not allow it
 * (mounting needs Linux, root and a kernel that permits it).
 */
function mountTmpfs(size: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'epl-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

function unmount(dir: string): void {
  // Lazy: detached even while a file on it is still open, so no mount outlives the test.
  execFileSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Why the tmpfs tests cannot run here, or `undefined` when they can. */
const noTmpfs = (() => {
  const probe = mountTmpfs('64k');
  if (probe === undefined)
    return 'mounting a tmpfs is not permitted here (it needs Linux and root)';
  unmount(probe);
  return undefined;
})();

/** The build the child process runs; `npm test` builds before the tests run. */
const FULL_DISK_APP = resolve('test/fixtures/ndjson-full-disk-app.mjs');

const onTmpfs = 'disk full on a real 128 KiB tmpfs, then freed';
const exits = 'the process exits after close() with its log on a full tmpfs';
describe('NdjsonStore to a file on a real full disk', () => {
  if (noTmpfs !== undefined) {
    it.skip(`${onTmpfs}: skipped, ${noTmpfs}`, () => {});
    it.skip(`${exits}: skipped, ${noTmpfs}`, () => {});
    return;
  }
  let mounted: string;
  beforeEach(() => {
    mounted = mountTmpfs('128k')!;
  });
  afterEach(() => {
    unmount(mounted);
  });

  it(onTmpfs, async () => {
    const folder = join(mounted, 'logs');
    mkdirSync(folder);
    // Leaves about 24 KiB: room for some 60 records of the 120 this test sends.
    const filler = join(mounted, 'filler');
    writeFileSync(filler, Buffer.alloc(104 * 1024));
    const path = join(folder, 'access.ndjson');
    const site = await startSite(new NdjsonStore({ destination: path }), RETRYING);
    try {
      await site.load(5, 20, 10);
      // The file is checked once the logger is quiet: mid-run, a write may be under way.
      await until(() => site.invariant().failures > 0);
      await rm(filler);
      await site.load(1, 20, 10);
      await site.log.flush();
      const counts = site.invariant();
      expect(counts).toMatchObject({ accepted: 120, written: 120, buffered: 0 });
      const log = parseLog(await readFile(path, 'utf8'));
      expect(log.torn).toEqual([]);
      expectWrittenAreLogged(counts, log);
    } finally {
      await site.close();
    }
  });

  it(exits, async () => {
    if (!existsSync(resolve('dist/index.js')))
      throw new Error('dist/ is missing: run "npm run build"');
    const path = join(mounted, 'access.ndjson');
    // Leaves 64 KiB, where 250 records of about 360 bytes do not fit.
    writeFileSync(join(mounted, 'filler'), Buffer.alloc(64 * 1024));
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (done) => {
        execFile(
          process.execPath,
          [FULL_DISK_APP, path, '250'],
          // Far beyond the 1 s close deadline: reaching it means the process did not end.
          { timeout: 45_000 },
          (error, stdout, stderr) =>
            done({ code: error ? (error.code as number) : 0, stdout, stderr }),
        );
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const counts = JSON.parse(run.stdout) as StoreCounts;
    expectAccounted(counts);
    expect(counts.buffered).toBe(0);
    expect(counts.written).toBeLessThan(250);
    const log = parseLog(await readFile(path, 'utf8'));
    expect(log.torn).toEqual([]);
    expectWrittenAreLogged(counts, log);
  }, 60_000);
});
