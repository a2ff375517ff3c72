import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AccessRecord } from '../record.js';
import { isHeld, normalizeHold } from './hold-scope.js';
import { emptyPurgeResult, normalizeEmail, STRIPPABLE_CATEGORIES } from './retention.js';
import { SqliteHolds } from './sqlite-holds.js';
import type { EraseResult, Hold, PurgeResult, ReadQuery, Store, Subject } from './store.js';

/** The schema version this code writes and reads, kept in SQLite's `user_version` pragma. */
export const SQLITE_SCHEMA_VERSION = 2;

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file, created with its folder if missing, or `':memory:'`. Default `'./access-log.sqlite'`. */
  path?: string;
  /** Name for stats and diagnostics. Default `'SqliteStore'`. */
  name?: string;
  /**
   * Milliseconds a statement waits for a lock held by another connection before failing with
   * `SQLITE_BUSY`. Default 5. better-sqlite3 waits synchronously, blocking the event loop for
   * that long, so it stays a few milliseconds (enough for another process's commit): the
   * dispatcher retries a failed batch with backoff instead, without blocking anything.
   */
  busyTimeoutMs?: number;
  /** File mode when the database file is created. Default `0o600`: it holds personal data. */
  mode?: number;
}

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
];

/** Records fetched per query while reading; between pages the connection is free for writes. */
const READ_PAGE = 500;

/**
 * The canonical form `Date.prototype.toISOString` produces. Times and expiries are stored in it so
 * that SQL can compare them as text: fixed-width UTC strings sort in time order.
 */
const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** An ISO time in canonical form, or `undefined` when it does not parse. */
function canonicalTime(text: string): string | undefined {
  if (CANONICAL_ISO.test(text)) return text;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * An expiry for the `exp_` columns. One that does not parse becomes the epoch, so the next purge
 * removes the category, as {@link applyRetention} does in the other stores.
 */
function expiryColumn(text: string | undefined): string | null {
  if (text === undefined) return null;
  return canonicalTime(text) ?? new Date(0).toISOString();
}

type Row = { record: string; time: string; id: string };
type Statement = Database.Statement<unknown[], unknown>;

interface Statements {
  insert: Statement;
  purge: Statement[];
  deleteExpired: Statement;
  eraseVisitor: Statement;
  eraseEmail: Statement;
  heldVisitor: Statement;
  heldEmail: Statement;
  count: Statement;
}

/**
 * The embedded default store: a SQLite file through better-sqlite3, in WAL mode with
 * `synchronous = NORMAL` (a crash of the machine may lose the last transactions, never corrupt the
 * file). Call and await `init()` before anything else; the constructor does no I/O.
 *
 * better-sqlite3 is synchronous: each call runs on the event loop, so batches stay in the
 * dispatcher's size and the busy timeout stays short.
 */
export class SqliteStore implements Store {
  /** Name for stats and diagnostics. */
  readonly name: string;
  /** The database path as given. */
  readonly path: string;
  readonly #busyTimeoutMs: number;
  readonly #mode: number;
  #db: Database.Database | undefined;
  #statements: Statements | undefined;
  /** Read statements by filter shape, prepared on first use. */
  #readStatements = new Map<string, Statement>();
  #insertBatch: Database.Transaction<(records: readonly AccessRecord[]) => void> | undefined;
  #purgeAll: ((now: string) => PurgeResult) | undefined;
  #eraseSubject: ((subject: Subject) => EraseResult) | undefined;
  #holds: SqliteHolds | undefined;

  /** @param options see {@link SqliteStoreOptions}; all optional. */
  constructor(options: SqliteStoreOptions = {}) {
    this.name = options.name ?? 'SqliteStore';
    this.path = options.path ?? './access-log.sqlite';
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 5;
    this.#mode = options.mode ?? 0o600;
  }

  /**
   * Open the database, set the pragmas, create or migrate the schema and prepare the statements.
   * Calling it again while open does nothing. Rejects when the file's schema is newer than
   * {@link SQLITE_SCHEMA_VERSION}.
   */
  async init(): Promise<void> {
    if (this.#db !== undefined) return;
    const inMemory = this.path === ':memory:' || this.path === '';
    if (!inMemory) {
      mkdirSync(dirname(this.path), { recursive: true });
      // Creating the file first gives it a private mode; SQLite gives the -wal and -shm files the same.
      closeSync(openSync(this.path, 'a', this.#mode));
    }
    const db = new Database(this.path, { timeout: this.#busyTimeoutMs });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(this.#busyTimeoutMs))}`);
      migrate(db);
      this.#prepare(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.#db = db;
  }

  /**
   * Insert a batch in one transaction; a record whose id is already stored is ignored. A record in
   * the scope of a hold (placed by any connection) is stored as held.
   */
  async write(records: readonly AccessRecord[]): Promise<void> {
    this.#ready('write');
    // IMMEDIATE takes the write lock first, so no hold can be placed between reading the holds
    // and inserting the rows they cover.
    if (records.length > 0) this.#insertBatch!.immediate(records);
  }

  /**
   * Apply retention at `now` in one transaction: strip each expired non-essential category (and the
   * identifiers indexed from it), then delete records whose essential category expired. Held
   * records are skipped. Running it again at the same `now` reports zeros.
   */
  async purge(now: Date): Promise<PurgeResult> {
    this.#ready('purge');
    return this.#purgeAll!(now.toISOString());
  }

  /**
   * Iterate the records that match `query`, oldest first (by `time`, then `id`), at most
   * `query.limit`. Rows are fetched in pages by keyset, so writes may run between two records;
   * a record written meanwhile is seen if it sorts after the current position.
   */
  async *read(query: ReadQuery = {}): AsyncGenerator<AccessRecord> {
    this.#ready('read');
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const filters: string[] = [];
    const params: unknown[] = [];
    if (query.subject !== undefined) {
      if ('visitorId' in query.subject) {
        if (query.subject.visitorId === '') return;
        filters.push('visitor_id = ?');
        params.push(query.subject.visitorId);
      } else {
        const email = normalizeEmail(query.subject.email);
        if (email === '') return;
        filters.push('email = ?');
        params.push(email);
      }
    }
    if (query.from !== undefined) {
      filters.push('time >= ?');
      params.push(query.from.toISOString());
    }
    if (query.to !== undefined) {
      filters.push('time < ?');
      params.push(query.to.toISOString());
    }
    filters.push('(time, id) > (?, ?)');
    const statement = this.#readStatement(filters);
    let after: [string, string] = ['', ''];
    while (remaining > 0) {
      // The consumer may have closed the store while it held a record.
      this.#ready('read');
      const pageSize = Math.min(READ_PAGE, remaining);
      const rows = statement.all(...params, ...after, pageSize) as Row[];
      for (const row of rows) {
        yield JSON.parse(row.record) as AccessRecord;
      }
      const last = rows.at(-1);
      if (rows.length < pageSize || last === undefined) return;
      remaining -= rows.length;
      after = [last.time, last.id];
    }
  }

  /**
   * Delete every record of `subject` that is not under legal hold, in one transaction. `held`
   * counts the subject's records that stay because they are held.
   */
  async erase(subject: Subject): Promise<EraseResult> {
    this.#ready('erase');
    return this.#eraseSubject!(subject);
  }

  /**
   * Place a legal hold, or replace the one with the same id (its `createdAt` is kept), and mark
   * the records in its scope as held. Returns how many stored records the scope covers.
   */
  async hold(hold: Hold): Promise<number> {
    this.#ready('hold');
    return this.#holds!.place(normalizeHold(hold));
  }

  /** Release a hold; returns whether it existed. Records another hold covers stay held. */
  async release(holdId: string): Promise<boolean> {
    this.#ready('release');
    return this.#holds!.release(holdId);
  }

  /** The holds in force, oldest first. */
  async holds(): Promise<Hold[]> {
    this.#ready('holds');
    return this.#holds!.list();
  }

  /** How many records are stored, held ones included. */
  count(): number {
    this.#ready('count');
    return (this.#statements!.count.get() as { n: number }).n;
  }

  /** Close the database. Calling it again does nothing; `init()` may open it again. */
  async close(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    this.#db = undefined;
    this.#statements = undefined;
    this.#readStatements = new Map();
    this.#insertBatch = undefined;
    this.#purgeAll = undefined;
    this.#eraseSubject = undefined;
    this.#holds = undefined;
    db.close();
  }

  #ready(method: string): Database.Database {
    if (this.#db === undefined) {
      throw new Error(`${this.name}: await init() before ${method}() (database ${this.path})`);
    }
    return this.#db;
  }

  #prepare(db: Database.Database): void {
    const statements: Statements = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO access_records
           (id, time, visitor_id, email, held, exp_client, exp_essential, exp_nonessential,
            exp_optional, exp_security, record)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      // ISO strings compare correctly as text because every stored one is canonical UTC with
      // milliseconds (see canonicalTime), and so is `now.toISOString()`.
      purge: STRIPPABLE_CATEGORIES.map((category) => {
        const cleared = [`exp_${category} = NULL`];
        if (category === 'nonessential') cleared.push('visitor_id = NULL');
        if (category === 'optional') cleared.push('email = NULL');
        return db.prepare(
          `UPDATE access_records
             SET record = json_remove(record, '$.${category}', '$.expires.${category}'),
                 ${cleared.join(', ')}
           WHERE exp_${category} <= ? AND held = 0`,
        );
      }),
      deleteExpired: db.prepare('DELETE FROM access_records WHERE exp_essential <= ? AND held = 0'),
      eraseVisitor: db.prepare('DELETE FROM access_records WHERE visitor_id = ? AND held = 0'),
      eraseEmail: db.prepare('DELETE FROM access_records WHERE email = ? AND held = 0'),
      heldVisitor: db.prepare(
        'SELECT count(*) AS n FROM access_records WHERE visitor_id = ? AND held = 1',
      ),
      heldEmail: db.prepare(
        'SELECT count(*) AS n FROM access_records WHERE email = ? AND held = 1',
      ),
      count: db.prepare('SELECT count(*) AS n FROM access_records'),
    };
    this.#statements = statements;
    const holds = new SqliteHolds(db);
    this.#holds = holds;
    this.#insertBatch = db.transaction((records: readonly AccessRecord[]) => {
      const current = holds.current();
      for (const record of records) {
        statements.insert.run(...insertParams(record, isHeld(record, current)));
      }
    });
    this.#eraseSubject = db.transaction((subject: Subject): EraseResult => {
      const byVisitor = 'visitorId' in subject;
      const key = byVisitor ? subject.visitorId : normalizeEmail(subject.email);
      // An empty id or address matches nothing, as in every other store.
      if (key === '') return { erased: 0, held: 0 };
      const held = byVisitor ? statements.heldVisitor : statements.heldEmail;
      const erase = byVisitor ? statements.eraseVisitor : statements.eraseEmail;
      const { n } = held.get(key) as { n: number };
      return { erased: erase.run(key).changes, held: n };
    });
    this.#purgeAll = db.transaction((now: string) => {
      const result = emptyPurgeResult();
      STRIPPABLE_CATEGORIES.forEach((category, index) => {
        result.removed[category] = statements.purge[index]!.run(now).changes;
      });
      result.deleted = statements.deleteExpired.run(now).changes;
      return result;
    });
  }

  #readStatement(filters: readonly string[]): Statement {
    const key = filters.join(' AND ');
    let statement = this.#readStatements.get(key);
    if (statement === undefined) {
      statement = this.#ready('read').prepare(
        `SELECT record, time, id FROM access_records WHERE ${key} ORDER BY time, id LIMIT ?`,
      );
      this.#readStatements.set(key, statement);
    }
    return statement;
  }
}

/** The column values of one record, in the order of the insert statement. */
function insertParams(record: AccessRecord, held: boolean): unknown[] {
  const email = record.optional?.email;
  const normalized = email === undefined ? '' : normalizeEmail(email);
  const { expires } = record;
  return [
    record.id,
    canonicalTime(record.time) ?? record.time,
    record.nonessential?.visitorId ?? null,
    normalized === '' ? null : normalized,
    held ? 1 : 0,
    expiryColumn(expires.client),
    expiryColumn(expires.essential),
    expiryColumn(expires.nonessential),
    expiryColumn(expires.optional),
    expiryColumn(expires.security),
    JSON.stringify(record),
  ];
}

/** Bring the schema to {@link SQLITE_SCHEMA_VERSION}, one migration per transaction. */
function migrate(db: Database.Database): void {
  let version = db.pragma('user_version', { simple: true }) as number;
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new Error(
      `SqliteStore: ${db.name} has schema version ${version}, newer than the ${SQLITE_SCHEMA_VERSION} this version of express-privacy-log knows; upgrade the library`,
    );
  }
  while (version < SQLITE_SCHEMA_VERSION) {
    const next = version + 1;
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${next}`);
    })();
    version = next;
  }
}
