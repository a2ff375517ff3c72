/**
 * NDJSON to a stream the app owns, under faults, through the real middleware and dispatcher: a
 * record counts as written only once the stream has taken it, backpressure reaches the bounded
 * queue, and close() ends within its deadline even when the stream never answers again.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { NdjsonStore } from '../../src/stores/ndjson/store.js';
import { startSite } from '../helpers/site.js';
import {
  DiskStream,
  expectAccounted,
  expectWrittenAreLogged,
  parseLog,
  trackBuffered,
  within,
} from './ndjson-fault-helpers.js';

/** Quick retries, so a test sees batches fail, retry and drop within a second or two. */
const FAST = {
  batch: { size: 20, maxDelayMs: 5 },
  retries: 3,
  retryMaxDelayMs: 20,
  writeTimeoutMs: 300,
};

describe('NdjsonStore to a stream, through the middleware', () => {
  it('a destroyed destination: only what it received counts as written', async () => {
    let received = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        setImmediate(() => {
          received += chunk.toString();
          callback();
          if (parseLog(received).records.length >= 100) sink.destroy();
        });
      },
    });
    const site = await startSite(new NdjsonStore({ destination: sink }), FAST);
    try {
      await site.load(10, 20, 10);
      await site.log.flush();
      const counts = site.invariant();
      expectAccounted(counts);
      expect(sink.destroyed).toBe(true);
      const log = parseLog(received);
      expect(log.records.length).toBeGreaterThanOrEqual(100);
      expectWrittenAreLogged(counts, log);
      expect(counts.accepted).toBe(200);
      expect(counts.dropped.storeError).toBe(200 - counts.written);
    } finally {
      await site.close();
    }
  });

  it('disk full through close(): what is counted written is on disk, nothing after a torn tail', async () => {
    const disk = trackBuffered(new DiskStream(20_000));
    // Retries that outlast the load, so that close() finds records still waiting.
    const retrying = { ...FAST, retries: 100, retryMaxDelayMs: 100 };
    const site = await startSite(new NdjsonStore({ destination: disk }), retrying);
    try {
      await site.load(15, 20, 10);
      expect(await within(site.log.close({ timeoutMs: 500 }), 10_000)).toBe(undefined);
      const counts = site.invariant();
      expectAccounted(counts);
      expect(counts.buffered).toBe(0);
      expect(counts.dropped.shutdown).toBeGreaterThan(0);
      const log = parseLog(disk.content);
      expectWrittenAreLogged(counts, log, FAST.batch.size);
      expect(counts.written).toBeLessThan(300);
      // The stream stored part of the batch it failed on; the store wrote nothing after it.
      expect(log.torn.length).toBeLessThanOrEqual(1);
      if (log.torn.length === 1) expect(log.unterminated).toBe(true);
      expect(disk.maxBuffered).toBeLessThanOrEqual(disk.writableHighWaterMark + 20 * 1024);
    } finally {
      await site.close();
    }
  });

  it('a stream that stops taking data: its buffer stays bounded and close() ends at its deadline', async () => {
    let received = '';
    const stuck = trackBuffered(
      new Writable({
        highWaterMark: 4096,
        write(chunk: Buffer, _encoding, callback) {
          // Takes the first 40 chunks, then never answers again, like a pipe nobody reads.
          if (received.split('\n').length > 40) return;
          received += chunk.toString();
          setImmediate(callback);
        },
      }),
    );
    const store = new NdjsonStore({
      destination: stuck,
      stallTimeoutMs: 100,
      closeTimeoutMs: 200,
    });
    const site = await startSite(store, { ...FAST, batch: { size: 5, maxDelayMs: 5 } });
    try {
      await site.load(20, 20, 10);
      await site.log.flush();
      const counts = site.invariant();
      expectAccounted(counts);
      expectWrittenAreLogged(counts, parseLog(received));
      expect(counts.dropped.storeError).toBeGreaterThan(0);
      // At most the high-water mark plus the one batch that found the stream stuck.
      expect(stuck.maxBuffered).toBeLessThanOrEqual(stuck.writableHighWaterMark + 5 * 1024);
      expect(await within(site.log.close({ timeoutMs: 1000 }), 10_000)).toBe(undefined);
      expect(stuck.destroyed).toBe(true);
      expectAccounted(site.invariant());
    } finally {
      await site.close();
    }
  });
});
