import { afterAll, expect, vi } from 'vitest';
import { fallbacks, made } from './worker-default.js';

// The middleware's own tests, run again with every logger in worker mode.
vi.mock('../../src/middleware.js', async (importOriginal) =>
  (await import('./worker-default.js')).workerByDefault(importOriginal),
);
// Every logger here starts a thread that loads the library (and GeoIP, for most policies) anew: on
// a loaded machine that takes seconds, so the budget per test is larger than the suites' own.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

await import('../middleware/record.test.js');
await import('../middleware/presets.test.js');
await import('../middleware/cookie.test.js');
await import('../middleware/bad-input.test.js');

afterAll(() => {
  expect(made.count).toBeGreaterThan(20);
  expect(fallbacks).toEqual([]);
});
