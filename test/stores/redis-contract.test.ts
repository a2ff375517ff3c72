import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from './redis-helpers.js';

serviceSuite('REDIS_URL', 'RedisStreamStore', (url) => {
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => {});
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.quit();
  });
  const base = uniqueName('epl-contract');
  let n = 0;

  storeContract(
    'RedisStreamStore',
    () => new RedisStreamStore({ client, prefix: `${base}-${++n}` }),
    { describe, it, expect },
    { cleanup: (store) => deleteKeys(client, store.keyPrefix) },
  );
});
