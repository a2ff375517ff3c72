import { afterAll, expect, vi } from 'vitest';
import { fallbacks, made } from './worker-default.js';

// The middleware's own tests, run again with every logger in worker mode.
vi.mock('../../src/middleware.js', async (importOriginal) =>
  (await import('./worker-default.js')).workerByDefault(importOriginal),
);

await import('../middleware/record.test.js');
await import('../middleware/presets.test.js');
await import('../middleware/cookie.test.js');
await import('../middleware/bad-input.test.js');

afterAll(() => {
  expect(made.count).toBeGreaterThan(20);
  expect(fallbacks).toEqual([]);
});
