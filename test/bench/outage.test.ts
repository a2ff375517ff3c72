import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The outage benchmark's parts that decide its figures: the statistics over the load's samples
// and the proxy that makes the outage. No timing is asserted: the benchmark measures, this checks
// that it counts what it says.
const load = async <T>(path: string) =>
  (await import(new URL(`../../bench/${path}`, import.meta.url).href)) as T;

interface Latency {
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  clientLagP99Ms: number;
}
interface Stats {
  percentile(sorted: number[], q: number): number;
  latency(samples: Float64Array, from?: number, to?: number): Latency;
  timeline(
    samples: Float64Array,
    from: number,
  ): { second: number; requests: number; failed: number; p99Ms: number; maxMs: number }[];
}
interface Proxy {
  listen(): Promise<number>;
  down(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Samples as the load writes them: [sent at, latency or NaN, client lag] per request. */
const samples = (rows: [number, number, number][]) => new Float64Array(rows.flat());

describe('the outage benchmark statistics', () => {
  let stats: Stats;
  beforeAll(async () => {
    stats = await load<Stats>('outage-stats.js');
  });

  it('takes nearest-rank percentiles', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(stats.percentile(hundred, 0.5)).toBe(50);
    expect(stats.percentile(hundred, 0.99)).toBe(99);
    expect(stats.percentile([7], 0.99)).toBe(7);
    expect(stats.percentile([], 0.5)).toBeNaN();
  });

  it('counts failures apart from latencies, within the window asked for', () => {
    const rows: [number, number, number][] = [
      [1000, 1, 0],
      [1500, Number.NaN, 0],
      [2000, 9, 4],
      [2500, 3, 0],
      [3000, Number.NaN, 0],
    ];
    expect(stats.latency(samples(rows))).toEqual({
      requests: 5,
      failed: 2,
      p50Ms: 3,
      p99Ms: 9,
      maxMs: 9,
      clientLagP99Ms: 4,
    });
    // [from, to): the fault window of a run.
    expect(stats.latency(samples(rows), 1500, 3000)).toMatchObject({
      requests: 3,
      failed: 1,
      maxMs: 9,
    });
  });

  it('gives each second of the run its requests, failures and worst latency', () => {
    const rows: [number, number, number][] = [
      [10_000, 1, 0],
      [10_400, 5, 0],
      [12_100, Number.NaN, 0],
      [12_200, 2, 0],
    ];
    expect(stats.timeline(samples(rows), 10_000)).toEqual([
      { second: 0, requests: 2, failed: 0, p99Ms: 5, maxMs: 5 },
      { second: 1, requests: 0, failed: 0, p99Ms: Number.NaN, maxMs: undefined },
      { second: 2, requests: 2, failed: 1, p99Ms: 2, maxMs: 2 },
    ]);
  });
});

describe('the outage benchmark proxy', () => {
  const echo = net.createServer((socket) => socket.pipe(socket));
  let proxy: Proxy;
  let port: number;
  beforeAll(async () => {
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const { TcpProxy } = await load<{ TcpProxy: new (host: string, port: number) => Proxy }>(
      'tcp-proxy.js',
    );
    proxy = new TcpProxy('127.0.0.1', (echo.address() as net.AddressInfo).port);
    port = await proxy.listen();
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  /** Connect, send `text`, and resolve with what came back before the connection closed. */
  const roundTrip = (text: string, socket = net.connect(port, '127.0.0.1')) =>
    new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk;
        if (received === text) socket.end();
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(received));
      socket.write(text);
    });

  it('passes bytes through, cuts open connections when down, refuses new ones, then recovers', async () => {
    expect(await roundTrip('before')).toBe('before');

    const open = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => open.once('connect', resolve));
    const closed = new Promise((resolve) => open.once('close', resolve));
    open.on('error', () => {});
    proxy.down();
    await closed;
    expect(await roundTrip('during')).toBe('');

    proxy.restore();
    expect(await roundTrip('after')).toBe('after');
  });
});
