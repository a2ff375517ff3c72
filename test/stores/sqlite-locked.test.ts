import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import {
  expectInvariant,
  fastOptions,
  type Item,
  items,
  pushAll,
  sleep,
} from '../pipeline/fixtures.js';

/**
 * Another process that takes SQLite's write lock on `path` for `holdMs`, then lets go. Resolves
 * once the lock is held.
 */
async function lockFromAnotherProcess(path: string, holdMs: number): Promise<ChildProcess> {
  const source = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    db.prepare('INSERT INTO access_records (id, time, held, record) VALUES (?, ?, 0, ?)')
      .run('lock-holder', '2025-01-01T00:00:00.000Z', '{}');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['-e', source, path, String(holdMs)], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  return child;
}

describe('SqliteStore on a file another process has locked', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'epl-locked-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never blocks the event loop for long, and writes everything once the lock is gone', async () => {
    const path = join(dir, 'locked.sqlite');
    // The default busy timeout is what keeps each blocked attempt short.
    const store = new SqliteStore({ path });
    await store.init();
    // The synchronous part of each write is where a busy wait would block the loop: time it.
    let longestCallMs = 0;
    const write = store.write.bind(store);
    store.write = (records) => {
      const started = performance.now();
      try {
        return write(records);
      } finally {
        longestCallMs = Math.max(longestCallMs, performance.now() - started);
      }
    };
    const holder = await lockFromAnotherProcess(path, 1200);
    const exited = new Promise((resolve) => holder.once('exit', resolve));

    const dispatcher = new Dispatcher<Item>(
      fastOptions([store], { batchSize: 50, maxRetries: 30, retryBaseMs: 20, retryMaxMs: 200 }),
    );
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    // Requests keep arriving while the file is locked.
    for (let round = 0; round < 20; round++) {
      pushAll(dispatcher, items(round * 25, 25));
      await sleep(50);
    }
    await exited;
    await dispatcher.flush();
    delay.disable();

    const stats = dispatcher.stats().stores[0]!;
    expect(stats.failures).toBeGreaterThan(0); // the lock was really in the way
    expect(stats).toMatchObject({ written: 500, buffered: 0 });
    expectInvariant(dispatcher);
    expect(store.count()).toBe(501);
    const maxMs = delay.max / 1e6;
    // The lock is held 1.2 s: a write that waited it out (the driver's default 5 s busy timeout)
    // would block for over a second. Each call stays within the short busy timeout plus slack; the
    // loop-wide maximum also carries the noise of a shared machine, hence its wider bound.
    expect(longestCallMs, `a write blocked for ${longestCallMs.toFixed(1)} ms`).toBeLessThan(100);
    expect(maxMs, `event loop blocked for ${maxMs.toFixed(1)} ms`).toBeLessThan(400);
    await dispatcher.close();
    console.log(
      `locked SQLite file: max event-loop delay ${maxMs.toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms`,
    );
  });
});
