import { accessSync, closeSync, constants, existsSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { AccessRecord } from '../../record.js';
import type { ConsentEvent, ConsentQuery } from '../consent-events.js';
import { isHeld, normalizeHold } from '../hold-scope.js';
import { isMissingPackage, missingPackageMessage } from '../missing-package.js';
import { emptyPurgeResult, STRIPPABLE_CATEGORIES, subjectValue } from '../retention.js';
import type {
  Disclosure,
  EraseResult,
  Hold,
  PurgeResult,
  ReadQuery,
  Store,
  Subject,
} from '../store.js';
import { toWorkerConfig, type WorkerStoreConfig } from '../worker-config.js';
import { SqliteConsents, timeRange } from './consents.js';
import { sqliteDisclose, sqliteDisclosures } from './disclosures.js';
import { SqliteHolds } from './holds.js';
import type { SqliteStoreOptions } from './options.js';
import { RowWriter } from './rows.js';
import { earliestExpiry, migrate } from './schema.js';
import { WalTruncation } from './wal.js';

export type { SqliteStoreOptions } from './options.js';
export { SQLITE_SCHEMA_VERSION } from './schema.js';

/** Records fetched per query while reading; between pages the connection is free for writes. */
const READ_PAGE = 500;

/** The page size, in bytes, of a database file this store creates (see `init`). */
const NEW_FILE_PAGE_SIZE = 16_384;

type Driver = typeof Database;
let driver: Driver | undefined;

/**
 * better-sqlite3, loaded on the first `init()` of any SqliteStore in the process. Importing the
 * package does not load it (its native module and a dozen files cost tens of milliseconds), so an
 * app whose stores are elsewhere never pays for it. It is a CommonJS package: `require` gives its
 * constructor without the ESM wrapper's `default`.
 *
 * @internal
 */
export function loadDriver(): Driver {
  try {
    driver ??= createRequire(import.meta.url)('better-sqlite3') as Driver;
  } catch (err) {
    if (!isMissingPackage(err, 'better-sqlite3')) throw err;
    throw Object.assign(new Error(missingPackageMessage('SqliteStore', 'better-sqlite3')), {
      code: 'ERR_MISSING_DRIVER',
      package: 'better-sqlite3',
    });
  }
  return driver;
}

/**
 * Throw, naming the path, unless the database can be written where it is: its folder exists and is
 * writable (SQLite creates the `-wal` and `-shm` files there), and the file, if it exists, is
 * writable too. A wrong path fails when the app starts, not at the first write, and no folder is
 * ever created that the user did not make.
 */
function pathError(path: string, why: string): never {
  throw Object.assign(new Error(`SqliteStore: cannot keep the database at ${path}: ${why}`), {
    code: 'ERR_SQLITE_PATH',
    path,
  });
}

function checkWritable(path: string): void {
  const folder = dirname(path);
  const fail = (why: string) => pathError(path, why);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    pathError(
      path,
      code === 'ENOENT'
        ? `the folder ${folder} does not exist; create it first (mkdir -p ${folder}) or choose another path`
        : `the folder ${folder} cannot be reached (${code ?? (err as Error).message})`,
    );
  }
  if (!isFolder) fail(`${folder} is not a folder`);
  for (const target of existsSync(path) ? [folder, path] : [folder]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      fail(
        `${target === folder ? `the folder ${folder}` : 'the file'} cannot be written by this process (${code}); ` +
          'give it write permission or choose another path',
      );
    }
  }
}

type Row = { record: string; time: string; id: string };
type SubjectKind = ReturnType<typeof subjectValue>['kind'];

/**
 * The column (or expression) a subject is found by. Addresses have no column of their own: an
 * erasure or export by address is rare, so it scans the table rather than make every write
 * maintain one more index.
 */
const SUBJECT_COLUMN: Record<SubjectKind, string> = {
  visitorId: 'visitor_id',
  email: 'email',
  ip: "json_extract(record, '$.client.ip')",
};

function subjectStatements(
  db: Database.Database,
  sql: (column: string) => string,
): Record<SubjectKind, Statement> {
  return {
    visitorId: db.prepare(sql(SUBJECT_COLUMN.visitorId)),
    email: db.prepare(sql(SUBJECT_COLUMN.email)),
    ip: db.prepare(sql(SUBJECT_COLUMN.ip)),
  };
}
type Statement = Database.Statement<unknown[], unknown>;

interface Statements {
  /** What the records that purge deletes have: their count, and per category how many expired. */
  doomed: Statement;
  deleteExpired: Statement;
  /** Per strippable category, in STRIPPABLE_CATEGORIES order. */
  strip: Statement[];
  /** Per subject kind: delete the subject's records not under hold. */
  erase: Record<SubjectKind, Statement>;
  /** Per subject kind: count the subject's held records. */
  held: Record<SubjectKind, Statement>;
  count: Statement;
}

/**
 * The embedded default store: a SQLite file through better-sqlite3, in WAL mode with
 * `synchronous = NORMAL` (a crash of the machine may lose the last transactions, never corrupt the
 * file). Call and await `init()` before anything else; the constructor only checks that the
 * database's folder exists and can be written, so that a wrong path fails at startup.
 *
 * better-sqlite3 is synchronous: each call runs on the event loop, so batches stay in the
 * dispatcher's size and the busy timeout stays short. The driver itself is loaded by the first
 * `init()`, not when this module is imported.
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
  #consents: SqliteConsents | undefined;
  readonly #wal = new WalTruncation(
    () => this.#db,
    () => this.name,
  );

  /** @param options see {@link SqliteStoreOptions}; all optional. */
  constructor(options: SqliteStoreOptions = {}) {
    this.name = options.name ?? 'SqliteStore';
    this.path = options.path ?? './access-log.sqlite';
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 5;
    this.#mode = options.mode ?? 0o600;
    if (this.path !== ':memory:' && this.path !== '') checkWritable(this.path);
  }

  /** A file database can be opened by the logger's worker thread; one in memory only here. */
  [toWorkerConfig](): WorkerStoreConfig | undefined {
    if (this.path === ':memory:') return undefined;
    const options: SqliteStoreOptions = {
      path: this.path,
      name: this.name,
      busyTimeoutMs: this.#busyTimeoutMs,
      mode: this.#mode,
    };
    return { kind: 'sqlite', options: { ...options } };
  }

  /**
   * Open the database, set the pragmas, create or migrate the schema and prepare the statements.
   * Calling it again while open does nothing. Rejects when the file's schema is newer than
   * {@link SQLITE_SCHEMA_VERSION}.
   */
  async init(): Promise<void> {
    if (this.#db !== undefined) return;
    // First: without the driver, nothing (not even an empty file) is left behind.
    const Driver = loadDriver();
    const inMemory = this.path === ':memory:' || this.path === '';
    if (!inMemory) {
      // Creating the file first gives it a private mode; SQLite gives the -wal and -shm files the same.
      closeSync(openSync(this.path, 'a', this.#mode));
    }
    const db = new Driver(this.path, { timeout: this.#busyTimeoutMs });
    try {
      // A new file gets 16 KiB pages (SQLite's default is 4 KiB); a file that has pages keeps its
      // size, so this changes nothing for an existing one. Every page a transaction dirties is one
      // frame of the write-ahead log, written by its own system calls: with the visitor index's
      // keys landing anywhere, 4 KiB pages made a 500-row batch write about two frames per row,
      // and the system calls cost as much CPU as the rows (bench/sqlite-page-size.js).
      db.pragma(`page_size = ${NEW_FILE_PAGE_SIZE}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(this.#busyTimeoutMs))}`);
      // Deleted rows, stripped categories and freed pages are overwritten with zeros, so that an
      // erased record cannot be read back from the file's free space.
      db.pragma('secure_delete = ON');
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
    const result = this.#purgeAll!(now.toISOString());
    const consents = this.#consents!.purge(now, this.#holds!.list());
    if (consents > 0) result.consents = consents;
    if (result.deleted > 0 || consents > 0 || Object.values(result.removed).some((n) => n > 0)) {
      this.#wal.clear();
    }
    return result;
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
      const { kind, value } = subjectValue(query.subject);
      if (value === '') return;
      filters.push(`${SUBJECT_COLUMN[kind]} = ?`);
      params.push(value);
    }
    timeRange(query, filters, params);
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
    const result = this.#eraseSubject!(subject);
    if (result.erased > 0) this.#wal.clear();
    return result;
  }

  /** Keep consent events in the `consent_events` table; one whose id is stored is ignored. */
  async writeConsents(events: readonly ConsentEvent[]): Promise<void> {
    this.#ready('writeConsents');
    this.#consents!.write(events);
  }

  /** The consent events that match `query`, oldest first. */
  async *readConsents(query: ConsentQuery = {}): AsyncGenerator<ConsentEvent> {
    this.#ready('readConsents');
    yield* this.#consents!.read(query);
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

  /** Enter an evidence export in the disclosure register; see {@link Disclosure}. */
  async disclose(entry: Disclosure): Promise<void> {
    sqliteDisclose(this.#ready('disclose'), entry);
  }

  /** The disclosure register, oldest entry first. */
  async disclosures(): Promise<Disclosure[]> {
    return sqliteDisclosures(this.#ready('disclosures'));
  }

  /**
   * Whether the write-ahead log may still hold the old pages of erased or purged records: a
   * checkpoint was refused (another connection was reading) and is retried in the background.
   */
  get walPending(): boolean {
    return this.#wal.pending;
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
    this.#wal.stop();
    // The last connection to close checkpoints and removes the WAL itself; another process may
    // still have the file open, so one more truncating checkpoint is tried here.
    this.#wal.clearNow();
    this.#db = undefined;
    this.#statements = undefined;
    this.#readStatements = new Map();
    this.#insertBatch = undefined;
    this.#purgeAll = undefined;
    this.#eraseSubject = undefined;
    this.#holds = undefined;
    this.#consents = undefined;
    db.close();
  }

  #ready(method: string): Database.Database {
    if (this.#db === undefined) {
      throw new Error(`${this.name}: await init() before ${method}() (database ${this.path})`);
    }
    return this.#db;
  }

  #prepare(db: Database.Database): void {
    // Purge looks at the rows the `exp_next` index finds (held rows are not in it) and checks each
    // category's own expiry there; `exp_next` is the earliest of them, so no expired row is missed.
    // ISO strings compare correctly as text because every stored one is canonical UTC with
    // milliseconds (see canonicalTime), and so is `now.toISOString()`.
    const due = 'exp_next <= @now AND held = 0';
    const statements: Statements = {
      doomed: db.prepare(
        `SELECT count(*) AS deleted,
                ${STRIPPABLE_CATEGORIES.map((c) => `count(*) FILTER (WHERE exp_${c} <= @now) AS ${c}`).join(', ')}
           FROM access_records WHERE ${due} AND exp_essential <= @now`,
      ),
      deleteExpired: db.prepare(
        `DELETE FROM access_records WHERE ${due} AND exp_essential <= @now`,
      ),
      strip: STRIPPABLE_CATEGORIES.map((category) => {
        // The earliest expiry is kept by the statements that change one: this is the only one.
        const cleared = [`exp_${category} = NULL`, `exp_next = ${earliestExpiry(category)}`];
        if (category === 'nonessential') cleared.push('visitor_id = NULL');
        if (category === 'optional') cleared.push('email = NULL');
        return db.prepare(
          `UPDATE access_records
             SET record = json_remove(record, '$.${category}', '$.expires.${category}'),
                 ${cleared.join(', ')}
           WHERE ${due} AND exp_${category} <= @now`,
        );
      }),
      erase: subjectStatements(
        db,
        (column) => `DELETE FROM access_records WHERE ${column} = ? AND held = 0`,
      ),
      held: subjectStatements(
        db,
        (column) => `SELECT count(*) AS n FROM access_records WHERE ${column} = ? AND held = 1`,
      ),
      count: db.prepare('SELECT count(*) AS n FROM access_records'),
    };
    this.#statements = statements;
    const holds = new SqliteHolds(db);
    this.#holds = holds;
    this.#consents = new SqliteConsents(db);
    const rows = new RowWriter(db);
    this.#insertBatch = db.transaction((records: readonly AccessRecord[]) => {
      const current = holds.current();
      rows.insert(records, (record) => isHeld(record, current));
    });
    this.#eraseSubject = db.transaction((subject: Subject): EraseResult => {
      const { kind, value } = subjectValue(subject);
      // An empty id or address matches nothing, as in every other store.
      if (value === '') return { erased: 0, held: 0 };
      const { n } = statements.held[kind].get(value) as { n: number };
      return { erased: statements.erase[kind].run(value).changes, held: n };
    });
    // Records that go entirely are deleted first (stripping them would rewrite them for nothing),
    // and what they had is counted as if their categories had been stripped, as the other stores
    // count it.
    this.#purgeAll = db.transaction((now: string) => {
      const result = emptyPurgeResult();
      const doomed = statements.doomed.get({ now }) as Record<string, number>;
      result.deleted = statements.deleteExpired.run({ now }).changes;
      STRIPPABLE_CATEGORIES.forEach((category, index) => {
        const stripped = statements.strip[index]!.run({ now }).changes;
        result.removed[category] = (doomed[category] ?? 0) + stripped;
      });
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
