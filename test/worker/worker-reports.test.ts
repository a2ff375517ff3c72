import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { definePolicy, presets, privacyLog, SqliteStore } from '../../src/index.js';
import type { TrafficReport } from '../../src/reports/traffic.js';
import { SqliteRollups } from '../../src/stores/sqlite/rollups.js';
import { SECRET, spyLogger } from '../helpers/app.js';

// Traffic reports read every record of the open hours at each run. With a store built in the
// worker, that run belongs there: these tests watch the serving thread's own copies of the store
// and rollup classes (the worker loads the module afresh, so its calls are not counted here).

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-worker-reports-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Ten page views by five visitors (each returns once with its cookie), then a report. */
async function served(worker: boolean, file: string) {
  const log = privacyLog({
    // k = 2, so that five visitors show as a number, not as "fewer than k".
    policy: definePolicy({ ...presets.classic, aggregates: { k: 2 } }),
    secret: SECRET,
    store: new SqliteStore({ path: join(dir, file) }),
    logger: spyLogger(),
    warnings: false,
    worker,
    retention: { enabled: false },
    handleSignals: false,
    batch: { maxDelayMs: 5 },
  });
  const app = express();
  app.use(log);
  app.get('/items/:id', (_req, res) => {
    res.type('html').send('<p>item</p>');
  });
  try {
    for (let visitor = 0; visitor < 5; visitor++) {
      const first = await request(app)
        .get(`/items/${visitor}`)
        .set('Host', 'shop.example')
        .set(
          'User-Agent',
          'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
        );
      const cookies = first.headers['set-cookie'] as unknown as string[] | undefined;
      await request(app)
        .get(`/items/${visitor}`)
        .set('Host', 'shop.example')
        .set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')
        .set('Cookie', (cookies ?? []).map((c) => c.split(';')[0]).join('; '));
    }
    const from = new Date(Date.now() - 3_600_000);
    const report: TrafficReport = await log.reports.traffic({ by: 'page', interval: 'hour', from });
    const update = await log.reports.update();
    return { report, update };
  } finally {
    await log.close();
  }
}

describe('traffic reports in worker mode', () => {
  it('roll up in the worker: the serving thread never opens the file or reads a record', async () => {
    const read = vi.spyOn(SqliteStore.prototype, 'read');
    const init = vi.spyOn(SqliteStore.prototype, 'init');
    const rollupsInit = vi.spyOn(SqliteRollups.prototype, 'init');
    const { report, update } = await served(true, 'worker.sqlite');
    expect(report.totals.pageViews).toBe(10);
    expect(report.breakdown!.rows).toEqual([{ key: '/items/:id', value: 10 }]);
    // The sketch of visitor ids crossed back as bytes and still counts the five visitors.
    expect(report.totals.visitors).toBe(5);
    expect(update.skipped).toBe(false);
    expect(read).not.toHaveBeenCalled();
    expect(init).not.toHaveBeenCalled();
    expect(rollupsInit).not.toHaveBeenCalled();
  });

  it('give the same figures as in process, where the serving thread runs them', async () => {
    const rollupsInit = vi.spyOn(SqliteRollups.prototype, 'init');
    const inProcess = await served(false, 'in-process.sqlite');
    // The same spy sees the in-process run: the test above would fail if the run stayed here.
    expect(rollupsInit).toHaveBeenCalled();
    const inWorker = await served(true, 'worker-2.sqlite');
    // Response times differ from run to run; everything counted must not.
    const counted = ({ latencyMs: _, ...rest }: TrafficReport['totals']) => rest;
    expect(counted(inWorker.report.totals)).toEqual(counted(inProcess.report.totals));
    expect(inWorker.report.breakdown).toEqual(inProcess.report.breakdown);
  });
});
