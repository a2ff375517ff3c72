import { loadModuleStore } from '../stores/module-store.js';
import type { Store } from '../stores/store.js';
import type { WorkerStoreConfig } from '../stores/worker-config.js';

/**
 * Build a store in the worker from its description. The drivers load only for the kinds in use:
 * a logger on SQLite never imports pg. A module store is loaded here too, from its module.
 */
export async function buildStore(config: WorkerStoreConfig): Promise<Store> {
  switch (config.kind) {
    case 'sqlite': {
      const { SqliteStore } = await import('../stores/sqlite/store.js');
      return new SqliteStore(config.options);
    }
    case 'postgres': {
      const { PostgresStore } = await import('../stores/postgres/store.js');
      return new PostgresStore(config.options as ConstructorParameters<typeof PostgresStore>[0]);
    }
    case 'redis': {
      const { RedisStreamStore } = await import('../stores/redis/store.js');
      return new RedisStreamStore(
        config.options as ConstructorParameters<typeof RedisStreamStore>[0],
      );
    }
    case 'module':
      return loadModuleStore(config.options);
  }
}

/**
 * A store that could not be built (a module that fails to load, a driver that is missing): every
 * call fails with the reason, so its records are retried and then counted as `storeError`, exactly
 * as a store whose `init()` keeps failing on the serving thread.
 */
export function brokenStore(name: string, err: unknown): Store {
  const fail = (): never => {
    throw err;
  };
  return { name, init: fail, write: fail };
}
