import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { presets, privacyLog } from '../../src/index.js';
import type { PrivacyLogOptions } from '../../src/options.js';
import type { AccessRecord } from '../../src/record.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET } from '../helpers/app.js';

const REQUESTS = 2100;

/**
 * The batch sizes a store of the app's own receives for {@link REQUESTS} requests. Its object stays
 * on the serving thread, so in worker mode it gets the worker's batches as they were cut. Partial
 * batches wait a minute: only a full batch or the final flush writes.
 */
async function batchSizes(options: Partial<PrivacyLogOptions>): Promise<number[]> {
  const sizes: number[] = [];
  const store = {
    name: 'sizes',
    write(batch: readonly AccessRecord[]) {
      sizes.push(batch.length);
    },
  } satisfies Store;
  const log = privacyLog({
    policy: presets.strict,
    secret: SECRET,
    store,
    warnings: false,
    retention: { enabled: false },
    ...options,
    batch: { maxDelayMs: 60_000, ...options.batch },
  });
  const app = express();
  app.use(log);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const get = () =>
    new Promise<void>((resolve, reject) => {
      request({ port, host: '127.0.0.1', path: '/', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
  try {
    // The worker (and its stores) ready first: records that wait for it are processed at once
    // when it is, in a batch of whatever had come.
    await log.flush();
    for (let sent = 0; sent < REQUESTS; sent += 100) {
      await Promise.all(Array.from({ length: 100 }, get));
    }
    await log.flush();
    expect(log.stats().stores[0]!.written).toBe(REQUESTS);
    return sizes;
  } finally {
    agent.destroy();
    server.close();
    await log.close();
  }
}

describe('batch.size default: 2,000 in worker mode, 500 in process', () => {
  it('cuts the worker batches at 2,000 records when batch.size is not given', async () => {
    const sizes = await batchSizes({ worker: true });
    expect(Math.max(...sizes)).toBe(2000);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(REQUESTS);
  });

  it('cuts them at 500 in process, where a SQLite write would block the serving thread', async () => {
    const sizes = await batchSizes({ worker: false });
    expect(Math.max(...sizes)).toBe(500);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(REQUESTS);
  });

  it('keeps a size that is given, in either mode', async () => {
    for (const worker of [true, false]) {
      const sizes = await batchSizes({ worker, batch: { size: 300 } });
      expect(Math.max(...sizes), `worker: ${worker}`).toBe(300);
    }
  });
});
