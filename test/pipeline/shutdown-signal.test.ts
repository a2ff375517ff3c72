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
  mode: 'sqlite' | 'dead',
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
