import { describe, expect, it } from 'vitest';
import { MemoryStore, SqliteStore } from '../../src/index.js';
import { ModuleStore } from '../../src/stores/module-store.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import { toWorkerConfig, workerConfigOf } from '../../src/stores/worker-config.js';

const pool = { connect: () => Promise.reject(new Error('not used')) };
const client = { isReady: false, sendCommand: () => Promise.reject(new Error('not used')) };

describe('which stores the worker can rebuild from plain data', () => {
  it('a SQLite file, a connection string, pool options, a Redis URL and a module: yes', () => {
    expect(workerConfigOf(new SqliteStore({ path: './x.sqlite', busyTimeoutMs: 7 }))).toEqual({
      kind: 'sqlite',
      options: { path: './x.sqlite', name: 'SqliteStore', busyTimeoutMs: 7, mode: 0o600 },
    });
    expect(
      workerConfigOf(new PostgresStore({ connectionString: 'postgres://db/x', table: 't1' })),
    ).toEqual({ kind: 'postgres', options: { connectionString: 'postgres://db/x', table: 't1' } });
    expect(workerConfigOf(new PostgresStore({ poolConfig: { host: 'db', max: 2 } }))).toEqual({
      kind: 'postgres',
      options: { poolConfig: { host: 'db', max: 2 } },
    });
    expect(workerConfigOf(new RedisStreamStore({ url: 'redis://r:6379', prefix: 'p' }))).toEqual({
      kind: 'redis',
      options: { url: 'redis://r:6379', prefix: 'p' },
    });
    const spec = { module: './audit-store.js', options: { level: 2 } };
    expect(workerConfigOf(new ModuleStore(spec))).toEqual({ kind: 'module', options: spec });
    // Every description survives the copy to another thread.
    for (const store of [new SqliteStore(), new ModuleStore(spec)]) {
      expect(structuredClone(workerConfigOf(store))).toEqual(workerConfigOf(store));
    }
  });

  it('live objects of the app stay where they are: no', () => {
    expect(workerConfigOf(new MemoryStore())).toBeUndefined();
    expect(workerConfigOf(new SqliteStore({ path: ':memory:' }))).toBeUndefined();
    expect(workerConfigOf(new PostgresStore({ pool }))).toBeUndefined();
    expect(workerConfigOf(new RedisStreamStore({ client }))).toBeUndefined();
    expect(workerConfigOf({ write() {} })).toBeUndefined();
    // A description that throws or is malformed keeps the store where it is.
    expect(
      workerConfigOf({
        write() {},
        [toWorkerConfig]() {
          throw new Error('no');
        },
      }),
    ).toBeUndefined();
    expect(
      workerConfigOf({ write() {}, [toWorkerConfig]: () => ({ kind: 'ftp', options: {} }) }),
    ).toBeUndefined();
  });

  it('a store needs exactly one way to connect', () => {
    expect(() => new PostgresStore({} as never)).toThrow(/pool.*connectionString.*poolConfig/);
    expect(() => new PostgresStore({ pool, connectionString: 'postgres://db/x' })).toThrow(
      TypeError,
    );
    expect(() => new RedisStreamStore({} as never)).toThrow(/exactly one of/);
    expect(() => new RedisStreamStore({ client, url: 'redis://r' })).toThrow(/exactly one of/);
  });

  it('a store made from a URL fails to init while the server is unreachable, and can try again', async () => {
    const store = new RedisStreamStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    await expect(store.init()).rejects.toThrow();
    await expect(store.init()).rejects.toThrow();
    await store.close();
    await expect(store.init()).rejects.toThrow(/after close/);
  });
});
