// The fault scenarios of test/helpers/fault-scenarios.ts (down at start, connection cut, 5 s of
// latency, through a TCP proxy) with the network stores built in the worker from plain data.
import pg from 'pg';
import { createClient } from 'redis';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import { faultScenarios } from '../helpers/fault-scenarios.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { deleteKeys } from '../stores/redis-helpers.js';

serviceSuite('PG_URL', 'worker mode: faults between the worker and PostgreSQL', (url) => {
  const target = new URL(url);
  const direct = new pg.Pool({ connectionString: url, max: 2 });
  direct.on('error', () => {});

  faultScenarios(
    async (port) => {
      const table = uniqueName('epl_wfault');
      // Pool options, not a pool: the store is rebuilt in the worker and owns its pool there.
      const store = new PostgresStore({
        poolConfig: {
          host: '127.0.0.1',
          port,
          user: decodeURIComponent(target.username) || 'postgres',
          database: target.pathname.slice(1) || 'postgres',
          max: 4,
          connectionTimeoutMillis: 1000,
          idleTimeoutMillis: 1000,
        },
        table,
        connectTimeoutMs: 1000,
        statementTimeoutMs: 2500,
      });
      return {
        store,
        async stored() {
          const { rows } = await direct.query<{ rows: string; ids: string }>(
            `SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM "${table}"`,
          );
          return { rows: Number(rows[0]!.rows), ids: Number(rows[0]!.ids) };
        },
        async dispose() {
          await direct.query(
            `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
          );
        },
      };
    },
    target,
    { worker: true },
  );
});

serviceSuite('REDIS_URL', 'worker mode: faults between the worker and Redis', (url) => {
  const target = new URL(url);
  faultScenarios(
    async (port) => {
      const direct = createClient({ url });
      direct.on('error', () => {});
      await direct.connect();
      const prefix = uniqueName('epl-wfault');
      const store = new RedisStreamStore({
        url: `redis://127.0.0.1:${port}`,
        connectTimeoutMs: 1000,
        prefix,
      });
      return {
        store,
        async stored() {
          const ids = Number(await direct.sendCommand(['ZCARD', `${store.keyPrefix}:time`]));
          const rows = Number(await direct.sendCommand(['XLEN', `${store.keyPrefix}:s:essential`]));
          return { rows, ids };
        },
        async dispose() {
          await deleteKeys(direct, store.keyPrefix);
          direct.destroy();
        },
      };
    },
    target,
    { worker: true },
  );
});
