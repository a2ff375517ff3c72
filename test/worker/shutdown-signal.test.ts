import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// test/pipeline/shutdown-signal.test.ts, with the logger of the child app in worker mode: the
// records are buffered in the worker when SIGTERM arrives.
const APP = join(import.meta.dirname, '../fixtures/sigterm-app.mjs');

async function terminate(mode: 'sqlite' | 'dead', path: string, deadlineMs: number) {
  const child = spawn(process.execPath, [APP, mode, path, String(deadlineMs), 'worker'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const ready = new Promise<{ accepted: number; buffered: number }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^ready (.*)$/m.exec(output);
      if (line && !child.killed) {
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
  return { ready: readyStats, code, signal, output };
}

describe('worker mode, handleSignals: SIGTERM with 1,000 records buffered', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'epl-wsigterm-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the worker writes them all, then the process ends by the same signal', async () => {
    const path = join(dir, 'log.sqlite');
    const outcome = await terminate('sqlite', path, 5000);
    expect(outcome.ready).toMatchObject({ accepted: 1000, buffered: 1000 });
    expect(outcome).toMatchObject({ code: null, signal: 'SIGTERM' });
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

  it('with the store down, ends at the deadline and counts the rest as dropped', async () => {
    const outcome = await terminate('dead', join(dir, 'unused'), 800);
    expect(outcome.ready).toMatchObject({ accepted: 1000, buffered: 1000 });
    expect(outcome).toMatchObject({ code: 0, signal: null });
    const { stats } = JSON.parse(outcome.output.split('\n').find((l) => l.startsWith('{'))!);
    expect(stats).toMatchObject({ accepted: 1000, written: 0, buffered: 0 });
    expect(stats.dropped.shutdown).toBe(1000);
  });
});
