import { afterAll, expect, vi } from 'vitest';
import { fallbacks, made } from './worker-default.js';

// Attack detection and evidence, evidence bundles, tamper evidence and sealed addresses, run again
// with every logger in worker mode: the client address is resolved in the worker, which then
// decides whether the socket's port is the client's; the worker flags the requests, and only the
// allow-listed headers cross to it. (protected-evidence.test.ts reads its SqliteStore object
// directly, which in worker mode is never opened on this thread: the worker opens its own.)
vi.mock('../../src/middleware.js', async (importOriginal) =>
  (await import('./worker-default.js')).workerByDefault(importOriginal),
);
// Every logger here starts a thread that loads the library (and GeoIP, for most policies) anew: on
// a loaded machine that takes seconds, so the budget per test is larger than the suites' own.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

await import('../security/attack-evidence.test.js');
await import('../security/evidence-bundle.test.js');
await import('../security/tamper.test.js');
await import('../security/sealed.test.js');

afterAll(() => {
  expect(made.count).toBeGreaterThanOrEqual(4);
  expect(fallbacks).toEqual([]);
});
