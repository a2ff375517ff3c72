// Fault injection between the app and Redis: see test/helpers/fault-scenarios.ts.
import { createClient } from 'redis';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import { faultScenarios } from '../helpers/fault-scenarios.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from './redis-helpers.js';

serviceSuite('REDIS_URL', 'faults between the app and Redis', (url) => {
  const target = new URL(url);
  faultScenarios(async (port) => {
    const client = createClient({
      socket: {
        host: '127.0.0.1',
        port,
        connectTimeout: 1000,
        reconnectStrategy: (retries) => Math.min(50 * retries, 300),
      },
      disableOfflineQueue: true,
    });
    client.on('error', () => {});
    // Not awaited: the server may be down at start; the client keeps trying.
    client.connect().catch(() => {});
    const direct = createClient({ url });
    direct.on('error', () => {});
    await direct.connect();
    const prefix = uniqueName('epl-fault');
    const store = new RedisStreamStore({ client, prefix });
    return {
      store,
      async stored() {
        const ids = Number(await direct.sendCommand(['ZCARD', `${store.keyPrefix}:time`]));
        const rows = Number(await direct.sendCommand(['XLEN', `${store.keyPrefix}:s:essential`]));
        return { rows, ids };
      },
      async dispose() {
        client.destroy();
        await deleteKeys(direct, store.keyPrefix);
        direct.destroy();
      },
    };
  }, target);
});
