// Fault injection between the app and PostgreSQL: see test/helpers/fault-scenarios.ts.
import pg from 'pg';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { faultScenarios } from '../helpers/fault-scenarios.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

serviceSuite('PG_URL', 'faults between the app and PostgreSQL', (url) => {
  const target = new URL(url);
  const direct = new pg.Pool({ connectionString: url, max: 2 });
  direct.on('error', () => {});

  faultScenarios(async (port) => {
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port,
      user: decodeURIComponent(target.username) || 'postgres',
      database: target.pathname.slice(1) || 'postgres',
      max: 4,
      connectionTimeoutMillis: 1000,
      idleTimeoutMillis: 1000,
    });
    pool.on('error', () => {});
    const table = uniqueName('epl_fault');
    const store = new PostgresStore({
      pool,
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
        await pool.end().catch(() => {});
        await direct.query(
          `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
        );
      },
    };
  }, target);
});
