/**
 * The disclosure register of a PostgreSQL store: `<table>_disclosures`, made with its first entry
 * (a store that never exported evidence carries no empty table, and the schema version does not
 * change). The library never updates or deletes an entry; grant the application's role INSERT and
 * SELECT only on this table to make that a rule of the database too.
 */
import { normalizeDisclosure } from '../disclosure.js';
import type { Disclosure } from '../store.js';
import type { Query } from './session.js';
import { MIGRATION_LOCK, type TableNames } from './sql.js';

/** Enter an export in the register; an entry with the same id is kept as it was. */
export async function pgDisclose(query: Query, t: TableNames, entry: Disclosure): Promise<void> {
  const next = normalizeDisclosure(entry);
  // Two first exports at once would race on CREATE TABLE; the schema lock orders them.
  await query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, t.raw]);
  await query(
    `CREATE TABLE IF NOT EXISTS ${t.disclosures} (
       id text COLLATE "C" PRIMARY KEY,
       at timestamptz NOT NULL,
       entry jsonb NOT NULL
     )`,
  );
  await query(
    `INSERT INTO ${t.disclosures} (id, at, entry) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
    [next.id, next.at, JSON.stringify(next)],
  );
}

/** The register, oldest entry first; empty when no export was ever entered. */
export async function pgDisclosures(query: Query, t: TableNames): Promise<Disclosure[]> {
  const { rows: found } = await query<{ present: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS present',
    [t.disclosures],
  );
  if (found[0]?.present !== true) return [];
  const { rows } = await query<{ entry: Disclosure }>(
    `SELECT entry FROM ${t.disclosures} ORDER BY at, id`,
  );
  return rows.map((row) => row.entry);
}
