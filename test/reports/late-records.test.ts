import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, it, vi } from 'vitest';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { SqliteRollups } from '../../src/stores/sqlite/rollups.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { lateRecordsScenario } from './late-scenario.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe('late records in SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollups-late-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts every record written after its hour was final exactly once', async () => {
    const path = join(dir, 'log.sqlite');
    const store = new SqliteStore({ path });
    await store.init();
    const rollups = new SqliteRollups({ path });
    rollups.init();
    try {
      await lateRecordsScenario(store, rollups);
    } finally {
      rollups.close();
      await store.close();
    }
  });
});

serviceSuite('PG_URL', 'late records in PostgreSQL', (url) => {
  const table = uniqueName('rollup_late');
  const pool = new pg.Pool({ connectionString: url });
  pool.on('error', () => {});
  afterAll(async () => {
    await pool.query(
      `DROP TABLE IF EXISTS "${table}" CASCADE; DROP TABLE IF EXISTS "${table}_holds", "${table}_schema", "${table}_rollups", "${table}_rollup_state", "${table}_rollup_late"; DROP FUNCTION IF EXISTS "${table}_rollup_queue_late"()`,
    );
    await pool.end();
  });

  it('counts every record written after its hour was final exactly once', async () => {
    const store = new PostgresStore({ pool, table });
    await store.init();
    const rollups = store.rollups();
    await rollups.init();
    try {
      await lateRecordsScenario(store, rollups);
    } finally {
      await rollups.close();
      await store.close();
    }
  });
});
