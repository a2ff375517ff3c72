import { afterAll, expect, vi } from 'vitest';
import { fallbacks, made } from './worker-default.js';

// Retention, holds and subject rights across the thread boundary: the privacy operations' tests,
// run again with every logger in worker mode.
vi.mock('../../src/middleware.js', async (importOriginal) =>
  (await import('./worker-default.js')).workerByDefault(importOriginal),
);
// Every logger here starts a thread that loads the library (and GeoIP, for most policies) anew: on
// a loaded machine that takes seconds, so the budget per test is larger than the suites' own.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

await import('../privacy/router.test.js');
await import('../privacy/subjects.test.js');
await import('../privacy/retention.test.js');
await import('../privacy/every-store.test.js');
await import('../privacy/consent-ledger.test.js');

afterAll(() => {
  expect(made.count).toBeGreaterThan(5);
  expect(fallbacks).toEqual([]);
});
