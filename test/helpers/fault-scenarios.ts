/**
 * Fault injection against the real servers, through a TCP proxy: the store is down at start, its
 * connection is cut mid-run, and every byte is delayed 5 s. Requests must all succeed without
 * slowing down, the accounting invariant must hold at every quiet point, and once the server is
 * back every buffered record must arrive, exactly once.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { PrivacyLogOptions } from '../../src/options.js';
import type { Store } from '../../src/stores/store.js';
import { startSite } from './site.js';
import { TcpProxy } from './tcp-proxy.js';

/**
 * Not a speed figure: a bound that only a request waiting on the store can break. The faults last
 * 5 s or more (latency, or down until restored), so half of that separates "answered without the
 * store" from "waited for it" with room for a loaded 2-core machine, where 20 concurrent requests
 * have been seen to take 1.5 s.
 */
const FAST_MS = 2500;

/** A store connected through the proxy, and a way to see what reached the server. */
export interface Backend {
  store: Store | NonNullable<PrivacyLogOptions['store']>;
  /** Stored records and distinct ids, read directly, not through the proxy. */
  stored(): Promise<{ rows: number; ids: number }>;
  dispose(): Promise<void>;
}

/** Register the fault scenarios for one kind of store; `options` go to every logger (`worker`). */
export function faultScenarios(
  connect: (proxyPort: number) => Promise<Backend>,
  target: URL,
  options: Partial<PrivacyLogOptions> = {},
): void {
  let proxy: TcpProxy;
  let backend: Backend;
  let port: number;
  beforeEach(async () => {
    proxy = new TcpProxy(target.hostname, Number(target.port));
    port = await proxy.listen();
  });
  afterEach(async () => {
    await proxy.close();
    await backend?.dispose();
  });

  const recovered = async (site: Awaited<ReturnType<typeof startSite>>): Promise<void> => {
    await site.log.flush();
    const stats = site.invariant();
    expect(stats.dropped).toEqual({
      bufferFull: 0,
      storeError: 0,
      shutdown: 0,
      closed: 0,
      invalid: 0,
      workerCrash: 0,
      expired: 0,
      erased: 0,
    });
    expect(stats).toMatchObject({ accepted: site.sent, written: site.sent, buffered: 0 });
    expect(await backend.stored()).toEqual({ rows: site.sent, ids: site.sent });
  };

  it('down at start: requests are served, records wait, and arrive once it is up', async () => {
    proxy.down();
    backend = await connect(port);
    const site = await startSite(backend.store, options);
    try {
      expect(await site.load(5)).toBeLessThan(FAST_MS);
      expect(site.invariant().written).toBe(0);
      // The first attempt fails once the store has tried to connect (in worker mode, after the
      // worker has started and loaded the driver).
      await vi.waitFor(() => expect(site.invariant().failures).toBeGreaterThan(0), {
        timeout: 10_000,
      });
      proxy.restore();
      expect(await site.load(2)).toBeLessThan(FAST_MS);
      await recovered(site);
    } finally {
      await site.close();
    }
  });

  it('connection cut mid-run, then down for a while: nothing is lost or doubled', async () => {
    backend = await connect(port);
    const site = await startSite(backend.store, options);
    try {
      expect(await site.load(3)).toBeLessThan(FAST_MS);
      // Connected and writing before the cut (in worker mode the worker may still be starting).
      await site.log.flush();
      proxy.cut();
      expect(await site.load(3)).toBeLessThan(FAST_MS);
      site.invariant();
      proxy.down();
      expect(await site.load(3)).toBeLessThan(FAST_MS);
      site.invariant();
      proxy.restore();
      expect(await site.load(2)).toBeLessThan(FAST_MS);
      await recovered(site);
    } finally {
      await site.close();
    }
  });

  it('5 s latency: requests stay fast, writes time out and are retried, all arrive once', async () => {
    backend = await connect(port);
    const site = await startSite(backend.store, { ...options, writeTimeoutMs: 2000 });
    try {
      expect(await site.load(2)).toBeLessThan(FAST_MS);
      // Connected and writing before the latency starts, so that writes time out rather than
      // connection attempts (in worker mode the worker may still be starting).
      await site.log.flush();
      proxy.latencyMs = 5000;
      const started = Date.now();
      while (Date.now() - started < 5500) {
        expect(await site.load(1, 20, 250)).toBeLessThan(FAST_MS);
        site.invariant();
      }
      expect(site.invariant().timeouts).toBeGreaterThan(0);
      proxy.restore();
      await recovered(site);
    } finally {
      await site.close();
    }
  });
}
