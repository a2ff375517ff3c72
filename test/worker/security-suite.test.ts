import { afterAll, expect, vi } from 'vitest';
import { fallbacks, made } from './worker-default.js';

// Evidence bundles, tamper evidence and sealed addresses, run again with every logger in worker
// mode: the worker flags the requests, and only the allow-listed headers cross to it.
vi.mock('../../src/middleware.js', async (importOriginal) =>
  (await import('./worker-default.js')).workerByDefault(importOriginal),
);
// Every logger here starts a thread that loads the library anew: on a loaded machine that takes
// seconds, so the budget per test is larger than the suites' own.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

await import('../security/evidence-bundle.test.js');
await import('../security/tamper.test.js');
await import('../security/sealed.test.js');

afterAll(() => {
  expect(made.count).toBeGreaterThanOrEqual(3);
  expect(fallbacks).toEqual([]);
});
