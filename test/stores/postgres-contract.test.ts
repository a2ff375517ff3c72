import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

serviceSuite('PG_URL', 'PostgresStore', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  afterAll(() => pool.end());
  const base = uniqueName('epl_contract');
  let n = 0;

  storeContract(
    'PostgresStore',
    () => new PostgresStore({ pool, table: `${base}_${++n}`, partitionsAheadDays: 1 }),
    { describe, it, expect },
    {
      cleanup: async (store) => {
        await pool.query(
          `DROP TABLE IF EXISTS "${store.table}", "${store.table}_holds", "${store.table}_consents", "${store.table}_schema" CASCADE`,
        );
      },
    },
  );
});

// The same contract with the insert that loads batches when pg-copy-streams is absent (copy:
// false), which is also what a COPY that meets stored records falls back to.
serviceSuite('PG_URL', 'PostgresStore, copy: false', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  afterAll(() => pool.end());
  const base = uniqueName('epl_contract_insert');
  let n = 0;

  storeContract(
    'PostgresStore (copy: false)',
    () => new PostgresStore({ pool, table: `${base}_${++n}`, partitionsAheadDays: 1, copy: false }),
    { describe, it, expect },
    {
      cleanup: async (store) => {
        await pool.query(
          `DROP TABLE IF EXISTS "${store.table}", "${store.table}_holds", "${store.table}_consents", "${store.table}_schema" CASCADE`,
        );
      },
    },
  );
});
