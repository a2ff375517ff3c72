import { afterAll, expect, vi } from 'vitest';
import { fallbacks, made } from './worker-default.js';

// Enrichment, addresses and regional policies, run again with every logger in worker mode.
vi.mock('../../src/middleware.js', async (importOriginal) =>
  (await import('./worker-default.js')).workerByDefault(importOriginal),
);
// Every logger here starts a thread that loads the library (and GeoIP, for most policies) anew: on
// a loaded machine that takes seconds, so the budget per test is larger than the suites' own.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

await import('../middleware/enrichment.test.js');
await import('../middleware/no-raw-address.test.js');
await import('../middleware/regions.test.js');

afterAll(() => {
  expect(made.count).toBeGreaterThan(10);
  // The one logger with a path hook runs in-process, and says why.
  expect(fallbacks).toEqual([expect.stringContaining('redactPath')]);
});
