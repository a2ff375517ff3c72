import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const APP = join(import.meta.dirname, '../fixtures/sigterm-app.mjs');
// The child imports the build, as an installed package would be.
if (!existsSync(join(import.meta.dirname, '../../dist/index.js'))) {
  throw new Error('dist/ is missing: run `npm run build` first (the child process imports it)');
}

interface Outcome {
  ready: { buffered: number; accepted: number };
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to exit. */
  exitMs: number;
  output: string;
}

/** Run the app until it has 1,000 records buffered, send SIGTERM, wait for it to exit. */
async function terminate(
  mode: 'sqlite' | 'dead' | 'hung',
  path: string,
  deadlineMs: number,
): Promise<Outcome> {
  const child = spawn(process.execPath, [APP, mode, path, String(deadlineMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  let signalledAt = 0;
  const ready = new Promise<Outcome['ready']>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^ready (.*)$/m.exec(output);
      if (line && signalledAt === 0) {
        signalledAt = performance.now();
        child.kill('SIGTERM');
        resolve(JSON.parse(line[1]!));
      }
    });
    child.once('exit', () => reject(new Error(`exited before it was ready: ${output}`)));
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, signal) => resolve([code, signal])),
  );
  const readyStats = await ready;
  const [code, signal] = await exited;
  return { ready: readyStats, code, signal, exitMs: performance.now() - signalledAt, output };
}

describe('handleSignals: SIGTERM with 1,000 records buffered', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'epl-sigterm-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes them all, then ends the process by the same signal', async () => {
    const path = join(dir, 'log.sqlite');
    const outcome = await terminate('sqlite', path, 5000);
    expect(outcome.ready).toMatchObject({ accepted: 1000, buffered: 1000 });
    // Nobody else listened: the signal was raised again, as if the logger had not been there.
    expect(outcome).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(outcome.exitMs).toBeLessThan(5000);
    const db = new Database(path, { readonly: true });
    try {
      const row = db
        .prepare('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM access_records')
        .get();
      expect(row).toEqual({ n: 1000, ids: 1000 });
    } finally {
      db.close();
    }
  });

  it('with a hung second store, SQLite keeps every record it took and the close log names each store’s drops', async () => {
    const path = join(dir, 'log.sqlite');
    const outcome = await terminate('hung', path, 3000);
    expect(outcome.ready).toMatchObject({ accepted: 1000, buffered: 1000 });
    expect(outcome).toMatchObject({ code: null, signal: 'SIGTERM' });
    const lines = outcome.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const closed = lines.filter((line) => line.code === 'STORE_CLOSED');
    expect(closed.map((line) => line.store)).toEqual(['SqliteStore', 'hung']);
    const [sqlite, hung] = closed;

    const db = new Database(path, { readonly: true });
    try {
      const row = db
        .prepare('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM access_records')
        .get();
      expect(row).toEqual({ n: sqlite.written, ids: sqlite.written });
    } finally {
      db.close();
    }
    // Every request answered (the app counts them as the logger sees them) was accepted.
    expect(sqlite.answered).toBe(sqlite.accepted);
    // SQLite lost nothing it took: whatever it did not write came after it had written all it
    // held and stopped taking records.
    expect(sqlite).toMatchObject({
      buffered: 0,
      dropped: {
        bufferFull: 0,
        storeError: 0,
        shutdown: 0,
        invalid: 0,
        closed: sqlite.accepted - sqlite.written,
      },
    });
    // It took records of requests answered after SIGTERM too, not only the 1,000 buffered then.
    expect(sqlite.written).toBeGreaterThan(1000);

    // The hung store lost all, and its line says how many and why.
    expect(hung).toMatchObject({
      level: 'warn',
      accepted: sqlite.accepted,
      written: 0,
      buffered: 0,
    });
    const lost = Object.values(hung.dropped as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(lost).toBe(hung.accepted);
    expect(hung.dropped.shutdown).toBeGreaterThan(1000);
    expect(hung.message).toContain(`shutdown ${hung.dropped.shutdown}`);
  });

  it('with the store down, ends within the deadline and counts the rest as dropped', async () => {
    const outcome = await terminate('dead', join(dir, 'unused'), 800);
    expect(outcome.ready).toMatchObject({ accepted: 1000, buffered: 1000 });
    // The app listens too, so it decides the exit; the logger only closed within its deadline.
    expect(outcome).toMatchObject({ code: 0, signal: null });
    expect(outcome.exitMs).toBeLessThan(800 + 1500);
    const { stats } = JSON.parse(outcome.output.split('\n').find((l) => l.startsWith('{'))!);
    expect(stats).toMatchObject({ accepted: 1000, written: 0, buffered: 0 });
    expect(stats.dropped.shutdown).toBe(1000);
  });
});
