import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisLike, RedisStreamStore } from '../../src/stores/redis/store.js';
import { contractRecord, contractRecords, readAll } from '../../src/testing/store-contract.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from './redis-helpers.js';

describe('RedisStreamStore without a server', () => {
  it('validates its options', () => {
    const client: RedisLike = { isReady: true, sendCommand: async () => 'OK' };
    expect(() => new RedisStreamStore({ client, prefix: 'a b' })).toThrow(TypeError);
    expect(() => new RedisStreamStore({ client, prefix: '{x}' })).toThrow(TypeError);
    expect(() => new RedisStreamStore({ client: {} as RedisLike })).toThrow(/node-redis/);
    expect(() => new RedisStreamStore({ client, maxPendingRecords: 0 })).toThrow(RangeError);
    expect(new RedisStreamStore({ client }).keyPrefix).toBe('{epl}');
  });

  it('sends nothing while the client is not ready, so no offline queue can grow', async () => {
    let sent = 0;
    const client: RedisLike = {
      isReady: false,
      sendCommand: async () => {
        sent++;
      },
    };
    const store = new RedisStreamStore({ client });
    await expect(store.write([contractRecord(1)])).rejects.toMatchObject({
      code: 'ERR_REDIS_NOT_READY',
    });
    expect(sent).toBe(0);
  });

  it('fails writes at once while too many records wait for an answer', async () => {
    let sent = 0;
    const client: RedisLike = {
      isReady: true,
      sendCommand: () => {
        sent++;
        return new Promise(() => {});
      },
    };
    const store = new RedisStreamStore({ client, maxPendingRecords: 1000 });
    void store.write(contractRecords(0, 600));
    const before = sent;
    await expect(store.write(contractRecords(600, 600))).rejects.toMatchObject({
      code: 'ERR_REDIS_BACKLOG',
    });
    expect(sent).toBe(before);
  });
});

serviceSuite('REDIS_URL', 'RedisStreamStore on Redis', (url) => {
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => {});
  const prefixes: string[] = [];
  beforeAll(async () => {
    await client.connect();
  });
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) await deleteKeys(client, `{${prefix}}`);
  });
  afterAll(async () => {
    await client.quit();
  });

  const open = async (prefix = uniqueName(`epl-redis-${prefixes.length}`)) => {
    prefixes.push(prefix);
    const store = new RedisStreamStore({ client, prefix });
    await store.init();
    return store;
  };
  const streamInfo = async (store: RedisStreamStore, category: string) => {
    const info = (await client.sendCommand([
      'XINFO',
      'STREAM',
      `${store.keyPrefix}:s:${category}`,
    ])) as Record<string, unknown>;
    return { length: Number(info.length), maxDeleted: String(info['max-deleted-entry-id']) };
  };

  it('retention trims the oldest entries of a category stream with XTRIM MINID', async () => {
    const store = await open();
    const records = contractRecords(0, 50).map((record, n) =>
      contractRecord(n, {
        expires: {
          ...record.expires,
          client: n < 30 ? '2025-01-02T00:00:00.000Z' : '2025-03-01T00:00:00.000Z',
        },
      }),
    );
    await store.write(records);
    expect((await store.purge(new Date('2025-02-01T00:00:00Z'))).removed.client).toBe(30);
    // XTRIM leaves max-deleted-entry-id untouched; XDEL would have set it.
    expect(await streamInfo(store, 'client')).toEqual({ length: 20, maxDeleted: '0-0' });
  });

  it('falls back to XDEL when a held entry sits in front of expired ones', async () => {
    const store = await open();
    const expires = { client: '2025-01-02T00:00:00.000Z', essential: '2026-01-01T00:00:00.000Z' };
    await store.write([
      contractRecord(0, { expires, security: { reasons: ['x'], hold: true } }),
      contractRecord(1, { expires }),
      contractRecord(2, { expires }),
    ]);
    expect((await store.purge(new Date('2025-02-01T00:00:00Z'))).removed.client).toBe(2);
    const info = await streamInfo(store, 'client');
    expect(info.length).toBe(1);
    expect(info.maxDeleted).not.toBe('0-0');
  });

  it('reloads its scripts when Redis lost them', async () => {
    const store = await open();
    await client.sendCommand(['SCRIPT', 'FLUSH']);
    await store.write([contractRecord(1)]);
    expect(await readAll(store)).toEqual([contractRecord(1)]);
  });

  it('keeps records and holds for a new store instance on the same prefix', async () => {
    const prefix = uniqueName('epl-restart');
    const first = await open(prefix);
    await first.write([contractRecord(1, { nonessential: { visitorId: 'me' } })]);
    await first.hold({
      id: 'case-1',
      reason: 'litigation',
      scope: { subject: { visitorId: 'me' } },
      createdAt: '2025-01-01T00:00:00.000Z',
      reviewAt: '2025-06-01T00:00:00.000Z',
    });
    const second = await open(prefix);
    expect(await second.erase({ visitorId: 'me' })).toEqual({ erased: 0, held: 1 });
    expect((await second.holds()).map((hold) => hold.id)).toEqual(['case-1']);
  });
});
