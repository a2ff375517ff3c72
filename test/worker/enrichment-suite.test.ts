import { afterAll, expect, vi } from 'vitest';
import { fallbacks, made } from './worker-default.js';

// Enrichment, addresses and regional policies, run again with every logger in worker mode.
vi.mock('../../src/middleware.js', async (importOriginal) =>
  (await import('./worker-default.js')).workerByDefault(importOriginal),
);

await import('../middleware/enrichment.test.js');
await import('../middleware/no-raw-address.test.js');
await import('../middleware/regions.test.js');

afterAll(() => {
  expect(made.count).toBeGreaterThan(10);
  // The one logger with a path hook runs in-process, and says why.
  expect(fallbacks).toEqual([expect.stringContaining('redactPath')]);
});
