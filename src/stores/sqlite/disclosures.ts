/**
 * The disclosure register of a SQLite database: the `disclosures` table, made with its first
 * entry (a database that never exported evidence carries no empty table and no schema change).
 * Triggers refuse UPDATE and DELETE, so that no code path of the library, nor a careless
 * statement, rewrites the accountability record; whoever can write the file can still drop them.
 */
import type Database from 'better-sqlite3';
import { normalizeDisclosure } from '../disclosure.js';
import type { Disclosure } from '../store.js';

const CREATE = `
  CREATE TABLE IF NOT EXISTS disclosures (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    entry TEXT NOT NULL
  );
  CREATE TRIGGER IF NOT EXISTS disclosures_no_update BEFORE UPDATE ON disclosures
    BEGIN SELECT RAISE(ABORT, 'the disclosure register is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS disclosures_no_delete BEFORE DELETE ON disclosures
    BEGIN SELECT RAISE(ABORT, 'the disclosure register is append-only'); END;`;

/** Enter an export in the register; an entry with the same id is kept as it was. */
export function sqliteDisclose(db: Database.Database, entry: Disclosure): void {
  const next = normalizeDisclosure(entry);
  db.transaction(() => {
    db.exec(CREATE);
    db.prepare('INSERT OR IGNORE INTO disclosures (id, at, entry) VALUES (?, ?, ?)').run(
      next.id,
      next.at,
      JSON.stringify(next),
    );
  }).immediate();
}

/** The register, oldest entry first; empty when no export was ever entered. */
export function sqliteDisclosures(db: Database.Database): Disclosure[] {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'disclosures'")
    .get();
  if (exists === undefined) return [];
  const rows = db.prepare('SELECT entry FROM disclosures ORDER BY at, id').all() as {
    entry: string;
  }[];
  return rows.map((row) => JSON.parse(row.entry) as Disclosure);
}
