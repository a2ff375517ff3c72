/**
 * The SQLite store's schema and its migrations. A database file records its version in SQLite's
 * `user_version` pragma; `init()` brings older files forward one migration at a time and refuses
 * newer ones, which an older library would write wrongly.
 */
import type Database from 'better-sqlite3';

/** The schema version this code writes and reads, kept in SQLite's `user_version` pragma. */
export const SQLITE_SCHEMA_VERSION = 5;

/** The categories that have an expiry column `exp_<category>`. */
const EXPIRY_CATEGORIES = ['client', 'essential', 'nonessential', 'optional', 'security'] as const;

/**
 * SQL for the earliest expiry a row still has, or NULL when it has none; `cleared` names a category
 * whose expiry counts as gone (the one a retention UPDATE is clearing: its SET sees the old values).
 * SQLite's many-argument `min()` is NULL as soon as one argument is, so absent expiries stand in as
 * `'~'`, which sorts after every ISO time (they start with a digit or a sign). The insert computes
 * the same value in JavaScript (rows.ts); the tests hold the two together.
 *
 * @internal
 */
export function earliestExpiry(cleared?: string): string {
  const terms = EXPIRY_CATEGORIES.filter((category) => category !== cleared).map(
    (category) => `coalesce(exp_${category}, '~')`,
  );
  return `nullif(min(${terms.join(', ')}), '~')`;
}

const EARLIEST_EXPIRY = earliestExpiry();

/*
 * The indexes, and why each stays (bench/sqlite-indexes.js measures what each costs per row):
 * - the primary key on `id`: writes are idempotent by id (INSERT OR IGNORE). Ids are time-ordered
 *   UUIDv7s, so new keys go to the last page.
 * - `visitor_id` (rows that have one): erasure, export and holds by visitor, which a visitor may
 *   ask for at any time (POST /privacy/erase) and which must not scan the table. The one index
 *   that costs: its keys land anywhere, so nearly every row dirties a page of it.
 * - `email` (rows that have one): the same for an e-mail address; rows without one cost nothing.
 * - `exp_next` (rows not held): retention, which runs on a schedule while records are written.
 *   Expiries follow request times, so its keys arrive nearly in order.
 * - `held` (held rows only): releasing a hold recomputes its rows; unheld rows cost nothing.
 * - `(time, id)`: every read pages by it in record order (export, the command line's stats, holds
 *   over a time range); without it a full read sorts the table once per page. Times arrive in
 *   order, so it adds to its last page: in the benchmark it costs a fifth to a third of what
 *   `visitor_id` does.
 * No other read of this table needs an index, so no other is built.
 */

/** Schema migrations; entry `n` moves a database from version `n` to `n + 1`. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS access_records (
     id TEXT PRIMARY KEY,
     time TEXT NOT NULL,
     visitor_id TEXT,
     email TEXT,
     held INTEGER NOT NULL DEFAULT 0,
     exp_client TEXT,
     exp_essential TEXT,
     exp_nonessential TEXT,
     exp_optional TEXT,
     exp_security TEXT,
     record TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS access_records_time ON access_records (time, id);
   CREATE INDEX IF NOT EXISTS access_records_visitor_id ON access_records (visitor_id)
     WHERE visitor_id IS NOT NULL;
   CREATE INDEX IF NOT EXISTS access_records_email ON access_records (email)
     WHERE email IS NOT NULL;
   CREATE INDEX IF NOT EXISTS access_records_exp_client ON access_records (exp_client)
     WHERE exp_client IS NOT NULL;
   CREATE INDEX IF NOT EXISTS access_records_exp_essential ON access_records (exp_essential)
     WHERE exp_essential IS NOT NULL;
   CREATE INDEX IF NOT EXISTS access_records_exp_nonessential ON access_records (exp_nonessential)
     WHERE exp_nonessential IS NOT NULL;
   CREATE INDEX IF NOT EXISTS access_records_exp_optional ON access_records (exp_optional)
     WHERE exp_optional IS NOT NULL;
   CREATE INDEX IF NOT EXISTS access_records_exp_security ON access_records (exp_security)
     WHERE exp_security IS NOT NULL;`,
  // Legal holds live beside the records they protect, so a restart or another process sees them.
  // `hold_epoch` changes with every hold change: writers compare it to notice holds placed by
  // another connection (the command line, say) before they stamp `held` on new rows.
  `CREATE TABLE IF NOT EXISTS holds (
     id TEXT PRIMARY KEY,
     reason TEXT NOT NULL,
     scope TEXT NOT NULL,
     created_at TEXT NOT NULL,
     review_at TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS hold_epoch (epoch INTEGER NOT NULL);
   INSERT INTO hold_epoch (epoch) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM hold_epoch);
   CREATE INDEX IF NOT EXISTS access_records_held ON access_records (held) WHERE held = 1;`,
  // One index on the earliest expiry replaces one per category: every insert paid for five
  // index entries that only purge reads. Purge finds its candidates by `exp_next` and checks each
  // category's own column on those rows. The column is computed by SQLite (VIRTUAL: adding it
  // rewrites no row, and no code can let it drift from the expiries). Held rows stay out of the
  // index, so a long hold does not make every purge walk past the rows it keeps.
  `ALTER TABLE access_records ADD COLUMN exp_next TEXT
     GENERATED ALWAYS AS (${EARLIEST_EXPIRY}) VIRTUAL;
   DROP INDEX IF EXISTS access_records_exp_client;
   DROP INDEX IF EXISTS access_records_exp_essential;
   DROP INDEX IF EXISTS access_records_exp_nonessential;
   DROP INDEX IF EXISTS access_records_exp_optional;
   DROP INDEX IF EXISTS access_records_exp_security;
   CREATE INDEX IF NOT EXISTS access_records_exp_next ON access_records (exp_next)
     WHERE held = 0 AND exp_next IS NOT NULL;`,
  // The consent ledger: a table of its own, since its events outlive the records (they show the
  // consent that let records in) and follow a retention of their own.
  `CREATE TABLE IF NOT EXISTS consent_events (
     id TEXT PRIMARY KEY,
     time TEXT NOT NULL,
     visitor_id TEXT,
     expires TEXT NOT NULL,
     event TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS consent_events_visitor_id ON consent_events (visitor_id)
     WHERE visitor_id IS NOT NULL;
   CREATE INDEX IF NOT EXISTS consent_events_expires ON consent_events (expires);`,
  // `exp_next` becomes a plain column, written by the insert and by retention's one UPDATE of an
  // expiry. A generated column, however simple, makes SQLite keep a statement journal for every
  // multi-row INSERT inside a transaction: each statement copied the pages it touched, already
  // dirtied by the batch's earlier statements, to a temporary file first (about 6 KB of writes per
  // record in the benchmark, more than the write-ahead log itself). The values are computed once
  // here from the expiries; on a large file this rewrites every row, once.
  `DROP INDEX IF EXISTS access_records_exp_next;
   ALTER TABLE access_records DROP COLUMN exp_next;
   ALTER TABLE access_records ADD COLUMN exp_next TEXT;
   UPDATE access_records SET exp_next = ${EARLIEST_EXPIRY};
   CREATE INDEX IF NOT EXISTS access_records_exp_next ON access_records (exp_next)
     WHERE held = 0 AND exp_next IS NOT NULL;`,
];

/**
 * Bring the schema to {@link SQLITE_SCHEMA_VERSION}, one migration per IMMEDIATE transaction. The
 * version is read again inside each transaction: another process opening the same file may have
 * migrated it meanwhile, and a migration such as `ADD COLUMN` must not run twice.
 *
 * @internal
 */
export function migrate(db: Database.Database): void {
  const current = (): number => db.pragma('user_version', { simple: true }) as number;
  const refuseNewer = (version: number): void => {
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new Error(
        `SqliteStore: ${db.name} has schema version ${version}, newer than the ${SQLITE_SCHEMA_VERSION} this version of express-privacy-log knows; upgrade the library`,
      );
    }
  };
  const step = db.transaction((): void => {
    const version = current();
    refuseNewer(version);
    if (version >= SQLITE_SCHEMA_VERSION) return;
    db.exec(MIGRATIONS[version]!);
    db.pragma(`user_version = ${version + 1}`);
  });
  // A current file takes no write lock: opening it never waits for another process's writes.
  for (let version = current(); version !== SQLITE_SCHEMA_VERSION; version = current()) {
    refuseNewer(version);
    step.immediate();
  }
}
