import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { presets, privacyLog } from '../../src/index.js';
import type { PrivacyLogOptions } from '../../src/options.js';
import { spyLogger } from '../helpers/app.js';

// Worker mode is the default in production only: these tests change NODE_ENV and look at which
// thread wrote each batch.
const THREAD_STORE = new URL('../fixtures/thread-store.mjs', import.meta.url).pathname;

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-default-mode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Serve two requests with a logger made from `options`; where its batches were written. */
async function writers(options: Partial<PrivacyLogOptions> = {}) {
  const file = join(dir, `batches-${files++}.ndjson`);
  const logger = spyLogger();
  const log = privacyLog({
    policy: presets.strict,
    store: { module: THREAD_STORE, options: { file } },
    logger,
    batch: { maxDelayMs: 1 },
    retention: { enabled: false },
    handleSignals: false,
    ...options,
  });
  const app = express().use(log);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  await request(app).get('/');
  await request(app).get('/');
  await log.flush();
  await log.close();
  const batches = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { mainThread: boolean; records: number });
  const fallbacks = logger.calls.filter((c) => c.details.code === 'WRN_WORKER_FALLBACK');
  return {
    mainThread: [...new Set(batches.map((b) => b.mainThread))],
    records: batches.reduce((sum, b) => sum + b.records, 0),
    fallbacks,
  };
}

describe('worker mode by default', () => {
  it('is on where NODE_ENV is production', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const result = await writers();
    expect(result).toMatchObject({ mainThread: [false], records: 2 });
  });

  it('is off elsewhere (tests, development)', async () => {
    vi.stubEnv('NODE_ENV', 'test');
    expect(await writers()).toMatchObject({ mainThread: [true], records: 2 });
    vi.stubEnv('NODE_ENV', '');
    expect(await writers()).toMatchObject({ mainThread: [true], records: 2 });
  });

  it('gives way to an explicit choice either way', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    expect(await writers({ worker: false })).toMatchObject({ mainThread: [true], records: 2 });
    vi.stubEnv('NODE_ENV', 'development');
    expect(await writers({ worker: true })).toMatchObject({ mainThread: [false], records: 2 });
  });

  it('falls back silently when only the default asked for it, with a warning when the app did', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const redactPath = (path: string) => path;
    const byDefault = await writers({ redactPath });
    expect(byDefault).toMatchObject({ mainThread: [true], records: 2 });
    expect(byDefault.fallbacks).toEqual([]);
    const asked = await writers({ redactPath, worker: true });
    expect(asked).toMatchObject({ mainThread: [true], records: 2 });
    expect(asked.fallbacks).toHaveLength(1);
    expect(asked.fallbacks[0]!.details.reason).toContain('redactPath');
  });
});
