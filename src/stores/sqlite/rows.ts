/**
 * How records become rows of the SQLite table `access_records`: the columns taken out of each
 * record for SQL to search and compare, and the INSERT that writes a batch a few dozen rows per
 * statement.
 */
import type Database from 'better-sqlite3';
import type { AccessRecord } from '../../record.js';
import { canonicalTime } from '../../shared/iso-time.js';
import { normalizeEmail } from '../retention.js';

type Statement = Database.Statement<unknown[], unknown>;

/** The epoch, for expiries that do not parse. */
const EPOCH = new Date(0).toISOString();

/**
 * An expiry for the `exp_` columns. One that does not parse becomes the epoch, so the next purge
 * removes the category, as `applyRetention` does in the other stores.
 */
function expiryColumn(text: string | undefined): string | null {
  if (text === undefined) return null;
  return canonicalTime(text) ?? EPOCH;
}

/**
 * The earlier of two `exp_` values, NULL standing for none: `exp_next` as the schema's
 * `earliestExpiry()` computes it in SQL. Canonical ISO times are ASCII, so JavaScript's comparison
 * orders them as SQLite's BINARY collation does.
 */
function earliest(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return b < a ? b : a;
}

/** The columns an insert fills, in the order {@link RowWriter} binds them. */
const COLUMNS = [
  'id',
  'time',
  'visitor_id',
  'email',
  'held',
  'exp_client',
  'exp_essential',
  'exp_nonessential',
  'exp_optional',
  'exp_security',
  'exp_next',
  'record',
] as const;

/**
 * Rows per INSERT statement. Each statement run has a fixed cost (the call into the driver, the
 * statement's reset), which one row per statement paid 500 times a batch; past a few dozen rows
 * the gain flattens, and the statement's text and parameter count stay small.
 */
export const ROWS_PER_STATEMENT = 64;

/**
 * Writes records into `access_records` with `INSERT OR IGNORE`, several rows per statement: a
 * record whose id is stored already, or that comes earlier in the same call, is skipped (the first
 * write of an id wins). Statements are prepared once per row count, so at most
 * {@link ROWS_PER_STATEMENT} of them exist. The caller provides the transaction.
 */
export class RowWriter {
  readonly #db: Database.Database;
  readonly #statements = new Map<number, Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Insert `records`; `held` says which of them are stored as held. */
  insert(records: readonly AccessRecord[], held: (record: AccessRecord) => boolean): void {
    for (let start = 0; start < records.length; start += ROWS_PER_STATEMENT) {
      const end = Math.min(records.length, start + ROWS_PER_STATEMENT);
      const params: unknown[] = new Array((end - start) * COLUMNS.length);
      let at = 0;
      for (let i = start; i < end; i++) {
        const record = records[i]!;
        const { expires } = record;
        const email = record.optional?.email;
        const normalized = email === undefined ? '' : normalizeEmail(email);
        params[at++] = record.id;
        params[at++] = canonicalTime(record.time) ?? record.time;
        params[at++] = record.nonessential?.visitorId ?? null;
        params[at++] = normalized === '' ? null : normalized;
        params[at++] = held(record) ? 1 : 0;
        const client = expiryColumn(expires.client);
        const essential = expiryColumn(expires.essential);
        const nonessential = expiryColumn(expires.nonessential);
        const optional = expiryColumn(expires.optional);
        const security = expiryColumn(expires.security);
        params[at++] = client;
        params[at++] = essential;
        params[at++] = nonessential;
        params[at++] = optional;
        params[at++] = security;
        params[at++] = earliest(
          earliest(earliest(client, essential), earliest(nonessential, optional)),
          security,
        );
        params[at++] = JSON.stringify(record);
      }
      // Spread, not the array: better-sqlite3 reads an array argument element by element through
      // V8's generic property lookup (some 400 instructions each, 704 per full statement), while
      // spread arguments reach it as they are.
      this.#statement(end - start).run(...params);
    }
  }

  #statement(rows: number): Statement {
    let statement = this.#statements.get(rows);
    if (statement === undefined) {
      const row = `(${COLUMNS.map(() => '?').join(', ')})`;
      statement = this.#db.prepare(
        `INSERT OR IGNORE INTO access_records (${COLUMNS.join(', ')})
         VALUES ${Array.from({ length: rows }, () => row).join(', ')}`,
      );
      this.#statements.set(rows, statement);
    }
    return statement;
  }
}
