import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { startSite } from '../helpers/site.js';

const FILE_STORE = new URL('../fixtures/file-store.mjs', import.meta.url).pathname;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-worker-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(file: string): Promise<AccessRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AccessRecord);
}

describe.each(['exit', 'throw'] as const)('a worker that stops under load (%s)', (mode) => {
  it('the app keeps answering, the worker restarts, and what it held is counted', async () => {
    const file = join(dir, `${mode}.ndjson`);
    const site = await startSite(
      {
        module: FILE_STORE,
        options: { file, crashOnWrite: 3, marker: join(dir, `${mode}.crashed`), mode },
      },
      { worker: true, writeTimeoutMs: 60_000 },
    );
    try {
      // Every request of every round must succeed (startSite checks each status), during the
      // crash and after it.
      await site.load(20, 10, 5);
      await site.log.flush();
      // The crash comes at the store's third write; on a slow machine batches are larger, so keep
      // the traffic going (bounded) until it has happened, before measuring what comes after.
      for (let round = 0; round < 20 && site.invariant().dropped.workerCrash === 0; round++) {
        await site.load(2, 10, 5);
        await site.log.flush();
      }
      const before = site.invariant();
      // The restarted worker takes the next requests and writes them all.
      await site.load(3, 10, 5);
      await site.log.flush();
      const stats = site.invariant();
      expect(stats.written).toBe(before.written + 30);
      expect(stats.accepted).toBe(site.sent);
      expect(stats.buffered).toBe(0);
      // The batch being written when the worker stopped was lost, and counted as such.
      expect(stats.dropped.workerCrash).toBeGreaterThan(0);
      expect(stats.dropped.workerCrash).toBeLessThan(site.sent);
      const crashes = site.logger.calls.filter((c) => c.details.code === 'ERR_WORKER_CRASH');
      expect(crashes).toHaveLength(1);
      // What the file holds agrees: every record written is there, none twice, and nothing beyond
      // what was counted (a record written just before the stop may be counted as lost).
      const stored = await lines(file);
      expect(new Set(stored.map((r) => r.id)).size).toBe(stored.length);
      expect(stored.length).toBeGreaterThanOrEqual(stats.written);
      expect(stored.length).toBeLessThanOrEqual(stats.written + stats.dropped.workerCrash);
    } finally {
      await site.close();
    }
  });
});
