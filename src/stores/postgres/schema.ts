/**
 * The PostgreSQL store's schema and its migrations. The version lives in `<table>_schema`; `init()`
 * migrates under an advisory lock, so that instances starting together do not race, and refuses a
 * newer version, which an older library would write wrongly.
 */
import type { Query } from './session.js';
import { MIGRATION_LOCK, type TableNames } from './sql.js';

/** The schema version this code writes and reads, kept in the `<table>_schema` table. */
export const POSTGRES_SCHEMA_VERSION = 3;

/** Migrations: entry `n` moves a schema from version `n` to `n + 1`. */
export function migrations(t: TableNames): readonly string[] {
  const expiryIndexes = ['client', 'essential', 'nonessential', 'optional', 'security']
    .map(
      (category) =>
        `CREATE INDEX IF NOT EXISTS "${t.raw}_exp_${category}" ON ${t.base} (exp_${category})
           WHERE exp_${category} IS NOT NULL;`,
    )
    .join('\n');
  return [
    // Keyed by (time, id): a unique key on a partitioned table must contain the partition key.
    // The id alone identifies a record; its time never changes, so a retried record carries the
    // same pair and ON CONFLICT sees it, in whichever partition it landed. The "C" collation
    // makes the tie-break on id the same byte order every other store uses.
    `CREATE TABLE IF NOT EXISTS ${t.base} (
       time timestamptz NOT NULL,
       id text COLLATE "C" NOT NULL,
       visitor_id text,
       email text,
       held boolean NOT NULL DEFAULT false,
       exp_client timestamptz,
       exp_essential timestamptz,
       exp_nonessential timestamptz,
       exp_optional timestamptz,
       exp_security timestamptz,
       record jsonb NOT NULL,
       PRIMARY KEY (time, id)
     ) PARTITION BY RANGE (time);
     CREATE TABLE IF NOT EXISTS ${t.defaultPartition} PARTITION OF ${t.base} DEFAULT;
     CREATE INDEX IF NOT EXISTS "${t.raw}_visitor_id" ON ${t.base} (visitor_id)
       WHERE visitor_id IS NOT NULL;
     CREATE INDEX IF NOT EXISTS "${t.raw}_email" ON ${t.base} (email) WHERE email IS NOT NULL;
     ${expiryIndexes}
     CREATE TABLE IF NOT EXISTS ${t.holds} (
       id text PRIMARY KEY,
       hold jsonb NOT NULL,
       from_time timestamptz,
       to_time timestamptz,
       visitor_id text,
       email text,
       ids text[]
     );`,
    // Writes got cheaper in two ways. The record is kept as `json` (its text, checked as JSON)
    // instead of `jsonb`, whose conversion was most of the server's work per row; only purge needs
    // jsonb operators, and casts the few rows it rewrites. One index on the earliest expiry
    // replaces one per category; purge finds rows by it and checks each category's column there.
    // `exp_next` is computed by PostgreSQL, so no writer can let it drift from the expiries.
    // Both changes rewrite the table once, under an exclusive lock.
    `${['client', 'essential', 'nonessential', 'optional', 'security']
      .map((category) => `DROP INDEX IF EXISTS "${t.raw}_exp_${category}";`)
      .join('\n')}
     ALTER TABLE ${t.base}
       ADD COLUMN exp_next timestamptz GENERATED ALWAYS AS
         (LEAST(exp_client, exp_essential, exp_nonessential, exp_optional, exp_security)) STORED,
       ALTER COLUMN record TYPE json USING record::json;
     CREATE INDEX IF NOT EXISTS "${t.raw}_exp_next" ON ${t.base} (exp_next)
       WHERE exp_next IS NOT NULL;`,
    // The consent ledger: a table of its own, with its own retention (events outlive records).
    // Holds by client address get a column of their own, as holds by visitor id and e-mail have.
    `ALTER TABLE ${t.holds} ADD COLUMN IF NOT EXISTS ip text;
     CREATE TABLE IF NOT EXISTS ${t.consents} (
       id text COLLATE "C" PRIMARY KEY,
       time timestamptz NOT NULL,
       visitor_id text,
       expires timestamptz NOT NULL,
       event json NOT NULL
     );
     CREATE INDEX IF NOT EXISTS "${t.raw}_consents_visitor_id" ON ${t.consents} (visitor_id)
       WHERE visitor_id IS NOT NULL;
     CREATE INDEX IF NOT EXISTS "${t.raw}_consents_expires" ON ${t.consents} (expires);`,
  ];
}

/**
 * Bring the schema of `t` to {@link POSTGRES_SCHEMA_VERSION}, inside the caller's transaction:
 * every step commits or none does. `store` names the store in the error for a newer schema.
 */
export async function migrateSchema(query: Query, t: TableNames, store: string): Promise<void> {
  await query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, t.raw]);
  await query(`CREATE TABLE IF NOT EXISTS ${t.schema} (version integer NOT NULL)`);
  const { rows } = await query<{ version: number }>(`SELECT version FROM ${t.schema}`);
  let version = rows[0]?.version ?? 0;
  if (rows.length === 0) await query(`INSERT INTO ${t.schema} (version) VALUES (0)`);
  if (version > POSTGRES_SCHEMA_VERSION) {
    throw new Error(
      `${store}: table ${t.raw} has schema version ${version}, newer than the ` +
        `${POSTGRES_SCHEMA_VERSION} this version of express-privacy-log knows; upgrade the library`,
    );
  }
  const steps = migrations(t);
  while (version < POSTGRES_SCHEMA_VERSION) {
    await query(steps[version]!);
    version++;
    await query(`UPDATE ${t.schema} SET version = $1`, [version]);
  }
}
