import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryRollups } from '../../src/reports/rollup-store.js';
import { updateRollups } from '../../src/reports/runner.js';
import { type TrafficReport, trafficReport } from '../../src/reports/traffic.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { DAY, SET_START, trafficSet } from './traffic-set.js';

// Large generated traffic sets: generous bounds on a shared, busy machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const MAIN = resolve('dist/cli/main.js');
const FROM = new Date(SET_START).toISOString();
const TO = new Date(SET_START + 3 * DAY).toISOString();

function cli(
  dir: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: dir, env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        done({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe('express-privacy-log report', () => {
  let dir: string;
  const records = trafficSet(4_000, 3, 500, 17);
  // Three page views of a page no one else visits: below k, never shown by name.
  for (const record of records.slice(50, 53)) {
    Object.assign(record.essential, {
      bot: false,
      method: 'GET',
      status: 200,
      route: '/only-three',
    });
  }
  let api: (by?: 'page' | 'browser') => Promise<TrafficReport>;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
    dir = await mkdtemp(join(tmpdir(), 'epl-report-'));
    const store = new SqliteStore({ path: join(dir, 'access-log.sqlite') });
    await store.init();
    await store.write(records);
    await store.close();
    const memory = new MemoryStore();
    await memory.write(records);
    const rollups = new MemoryRollups();
    await updateRollups(memory, rollups);
    api = (by) => trafficReport(rollups, { from: FROM, to: TO, ...(by ? { by } : {}) }, 10);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints the same figures as the API, as JSON, CSV and text, with cells below k hidden', async () => {
    const json = await cli(dir, 'report', '--from', FROM, '--to', TO, '--by', 'page', '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const expected = await api('page');
    expect(JSON.parse(json.stdout)).toEqual(expected);

    const csv = await cli(dir, 'report', '--from', FROM, '--to', TO, '--by', 'page', '--csv');
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('page,value');
    expect(lines.slice(1)).toEqual(
      expected.breakdown!.rows.map(
        (row) =>
          `${row.key},${typeof row.value === 'number' ? row.value : `<${row.value.fewerThan}`}`,
      ),
    );

    const text = await cli(dir, 'report', '--from', FROM, '--to', TO, '--by', 'page');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^page views +${expected.totals.pageViews}$`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^visitors +${expected.totals.visitors}$`, 'm'));
    expect(text.stdout).toMatch(/page views [▁▂▃▄▅▆▇█]{3}/);
    for (const row of expected.breakdown!.rows) expect(text.stdout).toContain(row.key);
    for (const output of [json.stdout, csv.stdout, text.stdout]) {
      expect(output).not.toContain('/only-three');
    }
  });

  it('gives the same report after purge deleted every raw record', async () => {
    const before = await cli(
      dir,
      'report',
      '--from',
      FROM,
      '--to',
      TO,
      '--by',
      'browser',
      '--json',
    );
    const purge = await cli(dir, 'purge');
    expect(purge.stdout).toContain(`Records deleted: ${records.length}.`);
    const after = await cli(dir, 'report', '--from', FROM, '--to', TO, '--by', 'browser', '--json');
    expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
    expect(JSON.parse(after.stdout)).toEqual(await api('browser'));
  });

  it('refuses bad options with a usage error', async () => {
    expect((await cli(dir, 'report', '--by', 'nonsense')).code).toBe(2);
    expect((await cli(dir, 'report', '--interval', 'week')).code).toBe(2);
    expect((await cli(dir, 'report', '--from', 'yesterday')).code).toBe(2);
  });
});
