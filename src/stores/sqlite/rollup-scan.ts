import type Database from 'better-sqlite3';
import type { AccessRecord } from '../../record.js';
import { factOf, type RollupFact } from '../../reports/facts.js';
import type { ScanRange } from '../../reports/rollup-store.js';

/**
 * The rollups' view of the records table: the queue of late records, the trigger that fills it,
 * and the reads a run makes. Records are read straight from `access_records` in one statement per
 * range, not page by page through the store.
 */
export const LATE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS rollup_late (id TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TRIGGER IF NOT EXISTS rollup_late_records AFTER INSERT ON access_records
    WHEN NEW.time < (SELECT watermark FROM rollup_state WHERE id = 1)
    BEGIN INSERT OR IGNORE INTO rollup_late (id) VALUES (NEW.id); END;`;

/**
 * The records of a range and their fingerprint (how many, and the sum of their rowids: a record
 * written or deleted in the range changes it), read in one snapshot.
 */
export function scanRecords(
  db: Database.Database,
  range: ScanRange,
  into: (fact: RollupFact) => void,
): string {
  // A read transaction: the fingerprint and the rows come from the same snapshot (WAL).
  db.exec('BEGIN');
  try {
    const print = fingerprint(db, range.from, range.checkTo);
    const rows = db
      .prepare(
        range.to === undefined
          ? 'SELECT record FROM access_records WHERE time >= ? ORDER BY time, id'
          : 'SELECT record FROM access_records WHERE time >= ? AND time < ? ORDER BY time, id',
      )
      .pluck();
    const args = range.to === undefined ? [range.from] : [range.from, range.to];
    for (const text of rows.iterate(...args) as IterableIterator<string>) {
      into(factOf(JSON.parse(text) as AccessRecord));
    }
    return print;
  } finally {
    db.exec('COMMIT');
  }
}

/** The fingerprint of the records in `from <= time < to`; the commit takes it again to compare. */
export function fingerprint(db: Database.Database, from: string, to: string): string {
  return (
    db
      .prepare(
        "SELECT count(*) || ':' || total(rowid) AS f FROM access_records WHERE time >= ? AND time < ?",
      )
      .get(from, to) as { f: string }
  ).f;
}

/** Up to `limit` queued late records, oldest first; the ids include those erased since. */
export function lateRecords(
  db: Database.Database,
  limit: number,
  into: (fact: RollupFact) => void,
): string[] {
  const rows = db
    .prepare(
      `SELECT q.id AS id, r.record AS record FROM
         (SELECT id FROM rollup_late ORDER BY id LIMIT ?) q
         LEFT JOIN access_records r ON r.id = q.id
       ORDER BY r.time, q.id`,
    )
    .all(limit) as { id: string; record: string | null }[];
  for (const row of rows) {
    if (row.record !== null) into(factOf(JSON.parse(row.record) as AccessRecord));
  }
  return rows.map((row) => row.id);
}
