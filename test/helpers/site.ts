import type { AddressInfo } from 'node:net';
import express from 'express';
import { expect } from 'vitest';
import { presets, privacyLog } from '../../src/index.js';
import type { PrivacyLogOptions } from '../../src/options.js';
import type { Store } from '../../src/stores/store.js';
import { spyLogger } from './app.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/**
 * A running site that logs every request to `store` (strict policy: one essential record per
 * request), on 127.0.0.1, for tests that watch requests while the store misbehaves.
 */
export async function startSite(
  store: Store | NonNullable<PrivacyLogOptions['store']>,
  options: Partial<PrivacyLogOptions> = {},
) {
  const logger = spyLogger();
  const log = privacyLog({
    policy: presets.strict,
    store,
    logger,
    warnings: false,
    batch: { size: 100, maxDelayMs: 20 },
    retries: 40,
    retryMaxDelayMs: 400,
    retention: { enabled: false },
    ...options,
  });
  const app = express();
  app.use(log);
  app.get('/page/:n', (req, res) => {
    res.send(`page ${req.params.n}`);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let sent = 0;

  return {
    log,
    logger,
    /** Requests answered so far. */
    get sent() {
      return sent;
    },
    /**
     * `rounds` rounds of `concurrency` requests; every one must succeed. Resolves with the
     * slowest request's time in ms.
     */
    async load(rounds: number, concurrency = 20, pauseMs = 20): Promise<number> {
      let slowest = 0;
      for (let round = 0; round < rounds; round++) {
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            const started = performance.now();
            const response = await fetch(`${base}/page/${sent}`, {
              headers: { 'user-agent': BROWSER },
            });
            await response.text();
            expect(response.status).toBe(200);
            sent++;
            slowest = Math.max(slowest, performance.now() - started);
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
      return slowest;
    },
    /** Check accepted = written + dropped + buffered for every store; returns the first store's stats. */
    invariant() {
      const stats = log.stats();
      for (const s of stats.stores) {
        const dropped = Object.values(s.dropped).reduce((sum, n) => sum + n, 0);
        expect(s.accepted, `invariant of ${s.name}`).toBe(s.written + dropped + s.buffered);
      }
      return stats.stores[0]!;
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await log.close({ timeoutMs: 5000 });
    },
  };
}
