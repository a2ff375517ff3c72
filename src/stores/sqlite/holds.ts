/**
 * Legal holds as SQLite sees them: the row form of a hold and the SQL condition that selects the
 * records of its scope. The condition must select exactly the records `matchesHoldScope` accepts
 * (times are stored in canonical ISO form, e-mail addresses normalised), so that the SQLite store
 * and the others agree record for record.
 */
import type Database from 'better-sqlite3';
import { subjectValue } from '../retention.js';
import type { Hold, HoldScope } from '../store.js';

type Statement = Database.Statement<unknown[], unknown>;

/** A row of the `holds` table. */
export interface HoldRow {
  id: string;
  reason: string;
  scope: string;
  created_at: string;
  review_at: string;
}

/**
 * The `held` value a row has without any hold in the table: 1 for security evidence the pipeline
 * flagged as held (`security.hold` is JSON true, which `json_extract` returns as 1), else 0.
 */
export const SECURITY_HOLD = "(json_extract(record, '$.security.hold') IS 1)";

const COLUMNS = 'id, reason, scope, created_at, review_at';

/**
 * The holds of one SQLite connection: persisted in the `holds` table, applied to the `held` column
 * of `access_records`. Placing and releasing run in IMMEDIATE transactions so that no write from
 * another connection slips between reading the holds and marking the rows.
 */
export class SqliteHolds {
  readonly #db: Database.Database;
  readonly #list: Statement;
  readonly #byId: Statement;
  readonly #upsert: Statement;
  readonly #delete: Statement;
  readonly #epoch: Statement;
  readonly #bumpEpoch: Statement;
  readonly #place: Database.Transaction<(hold: Hold) => number>;
  readonly #release: Database.Transaction<(id: string) => boolean>;
  /** The holds as of `#cachedEpoch`, so that writes stamp `held` without a query per record. */
  #cache: Hold[] = [];
  #cachedEpoch = -1;

  /** @param db an open connection whose schema has the `holds` and `hold_epoch` tables. */
  constructor(db: Database.Database) {
    this.#db = db;
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM holds ORDER BY created_at, id`);
    this.#byId = db.prepare(`SELECT ${COLUMNS} FROM holds WHERE id = ?`);
    // A replaced hold keeps the time it was first placed.
    this.#upsert = db.prepare(
      `INSERT INTO holds (${COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         reason = excluded.reason, scope = excluded.scope, review_at = excluded.review_at`,
    );
    this.#delete = db.prepare('DELETE FROM holds WHERE id = ?');
    this.#epoch = db.prepare('SELECT epoch FROM hold_epoch');
    this.#bumpEpoch = db.prepare('UPDATE hold_epoch SET epoch = epoch + 1');
    this.#place = db.transaction((hold: Hold) => {
      const previous = this.#byId.get(hold.id) as HoldRow | undefined;
      const { id, reason, scope, createdAt, reviewAt } = hold;
      this.#upsert.run(id, reason, JSON.stringify(scope), createdAt, reviewAt);
      // The old scope may cover rows the new one does not: those are recomputed first.
      if (previous !== undefined) this.#unhold(holdFromRow(previous).scope);
      const where = scopeWhere(scope);
      this.#run(`UPDATE access_records SET held = 1 WHERE held = 0 AND ${where.sql}`, where.params);
      this.#bumpEpoch.run();
      const covered = this.#db
        .prepare(`SELECT count(*) AS n FROM access_records WHERE ${where.sql}`)
        .get(...where.params) as { n: number };
      return covered.n;
    });
    this.#release = db.transaction((id: string) => {
      const row = this.#byId.get(id) as HoldRow | undefined;
      if (row === undefined) return false;
      this.#delete.run(id);
      this.#unhold(holdFromRow(row).scope);
      this.#bumpEpoch.run();
      return true;
    });
  }

  /** Place or replace a normalised hold; returns how many stored records its scope covers. */
  place(hold: Hold): number {
    return this.#place.immediate(hold);
  }

  /** Remove a hold and recompute `held` on its rows; returns whether it existed. */
  release(id: string): boolean {
    return this.#release.immediate(id);
  }

  /** Every hold in the table, oldest first. */
  list(): Hold[] {
    return (this.#list.all() as HoldRow[]).map(holdFromRow);
  }

  /**
   * The holds in force, read again only when some connection changed them since the last call.
   * Meant to run inside the caller's write transaction, so the answer cannot go stale before the
   * rows are inserted.
   */
  current(): Hold[] {
    const { epoch } = this.#epoch.get() as { epoch: number };
    if (epoch !== this.#cachedEpoch) {
      this.#cache = this.list();
      this.#cachedEpoch = epoch;
    }
    return this.#cache;
  }

  /**
   * Clear `held` on the rows of a scope whose hold went away, except security evidence flagged as
   * held and rows another hold in the table still covers. Runs inside the caller's transaction,
   * after the holds table is updated.
   */
  #unhold(scope: HoldScope): void {
    const where = scopeWhere(scope);
    this.#run(
      `UPDATE access_records SET held = ${SECURITY_HOLD} WHERE held = 1 AND ${where.sql}`,
      where.params,
    );
    for (const other of this.list()) {
      const again = scopeWhere(other.scope);
      this.#run(
        `UPDATE access_records SET held = 1 WHERE held = 0 AND ${where.sql} AND ${again.sql}`,
        [...where.params, ...again.params],
      );
    }
  }

  #run(sql: string, params: unknown[]): void {
    this.#db.prepare(sql).run(...params);
  }
}

/** A hold from its row. The scope was written by `JSON.stringify` of a normalised scope. */
export function holdFromRow(row: HoldRow): Hold {
  return {
    id: row.id,
    reason: row.reason,
    scope: JSON.parse(row.scope) as HoldScope,
    createdAt: row.created_at,
    reviewAt: row.review_at,
  };
}

/**
 * The condition, in parentheses, and its parameters, that selects the `access_records` rows in a
 * scope. An empty scope selects every row. Record ids go in as one JSON array, so a hold on
 * thousands of ids is still one statement with a fixed number of parameters.
 */
export function scopeWhere(scope: HoldScope): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (scope.from !== undefined) {
    parts.push('time >= ?');
    params.push(scope.from);
  }
  if (scope.to !== undefined) {
    parts.push('time < ?');
    params.push(scope.to);
  }
  if (scope.subject !== undefined) {
    const { kind, value } = subjectValue(scope.subject);
    parts.push(
      kind === 'visitorId'
        ? 'visitor_id = ?'
        : kind === 'email'
          ? 'email = ?'
          : "json_extract(record, '$.client.ip') = ?",
    );
    params.push(value);
  }
  if (scope.ids !== undefined) {
    parts.push('id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(scope.ids));
  }
  return { sql: parts.length === 0 ? '(1)' : `(${parts.join(' AND ')})`, params };
}
