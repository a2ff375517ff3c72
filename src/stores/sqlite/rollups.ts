import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { type Bucket, countsFromJson, type Interval } from '../../reports/bucket.js';
import type { RollupFact } from '../../reports/facts.js';
import { HyperLogLog } from '../../reports/hyperloglog.js';
import {
  LeaseLostError,
  type RollupChange,
  type RollupLease,
  RollupRaceError,
  type RollupStore,
  type ScanRange,
} from '../../reports/rollup-store.js';
import { fingerprint, LATE_SCHEMA, lateRecords, scanRecords } from './rollup-scan.js';
import { loadDriver } from './store.js';

/** Options of {@link SqliteRollups}. */
export interface SqliteRollupsOptions {
  /**
   * The {@link SqliteStore}'s database file (`store.path`): the rollups read its records there, and
   * keep their tables beside them. The store creates the records' table first.
   */
  path: string;
  /** Milliseconds a statement waits for another connection's lock. Default 1000. */
  busyTimeoutMs?: number;
}

// Tables of their own beside the records: created if missing, never touching the records' schema.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS rollup_buckets (
    interval TEXT NOT NULL,
    start TEXT NOT NULL,
    host TEXT NOT NULL,
    counts TEXT NOT NULL,
    visitors BLOB NOT NULL,
    PRIMARY KEY (interval, start, host)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS rollup_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    watermark TEXT,
    lease_token TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0
  );
  INSERT OR IGNORE INTO rollup_state (id) VALUES (1);`;

type Row = { interval: Interval; start: string; host: string; counts: string; visitors: Buffer };

/**
 * Rollups in a SQLite file, normally the one the records live in, through a connection of their
 * own. The lease is a row: whoever sets it while it is free runs; a crashed runner's lease times
 * out. A run's buckets and its watermark are written in one transaction that first checks the lease.
 */
export class SqliteRollups implements RollupStore {
  readonly name = 'SqliteRollups';
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  #db: Database.Database | undefined;

  constructor(options: SqliteRollupsOptions) {
    this.#path = options.path;
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 1000;
  }

  init(): void {
    if (this.#db !== undefined) return;
    // The driver loads on first use, as the store's own does: importing the package never loads it.
    const Driver = loadDriver();
    const db = new Driver(this.#path, { timeout: this.#busyTimeoutMs });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      // The records' table comes first: the record store creates it before rollups open the file.
      db.exec(LATE_SCHEMA);
    } catch (error) {
      db.close();
      throw error;
    }
    this.#db = db;
  }

  close(): void {
    this.#db?.close();
    this.#db = undefined;
  }

  acquire(ttlMs: number): RollupLease | undefined {
    const now = Date.now();
    const lease = { token: randomUUID(), until: now + ttlMs };
    const taken = this.#open()
      .prepare(
        'UPDATE rollup_state SET lease_token = ?, lease_until = ? WHERE id = 1 AND lease_until <= ?',
      )
      .run(lease.token, lease.until, now);
    return taken.changes === 1 ? lease : undefined;
  }

  release(lease: RollupLease): void {
    this.#open()
      .prepare(
        'UPDATE rollup_state SET lease_token = NULL, lease_until = 0 WHERE id = 1 AND lease_token = ?',
      )
      .run(lease.token);
  }

  watermark(): string | undefined {
    const row = this.#open().prepare('SELECT watermark FROM rollup_state WHERE id = 1').get() as
      | { watermark: string | null }
      | undefined;
    return row?.watermark ?? undefined;
  }

  buckets(interval: Interval, from: string, to: string, host?: string): Bucket[] {
    const db = this.#open();
    const rows = (
      host === undefined
        ? db
            .prepare(
              'SELECT * FROM rollup_buckets WHERE interval = ? AND start >= ? AND start < ? ORDER BY start, host',
            )
            .all(interval, from, to)
        : db
            .prepare(
              'SELECT * FROM rollup_buckets WHERE interval = ? AND start >= ? AND start < ? AND host = ? ORDER BY start',
            )
            .all(interval, from, to, host)
    ) as Row[];
    return rows.map((row) => ({
      host: row.host,
      interval: row.interval,
      start: row.start,
      counts: countsFromJson(row.counts),
      visitors: HyperLogLog.deserialize(row.visitors),
    }));
  }

  commit(lease: RollupLease, change: RollupChange): void {
    const db = this.#open();
    const apply = db.transaction(() => {
      const held = db
        .prepare('SELECT 1 FROM rollup_state WHERE id = 1 AND lease_token = ? AND lease_until > ?')
        .get(lease.token, Date.now());
      if (held === undefined) throw new LeaseLostError();
      const check = change.check;
      // The write lock is held: no record can be written between this look and the commit.
      if (check !== undefined && fingerprint(db, check.from, check.to) !== check.fingerprint) {
        throw new RollupRaceError();
      }
      if (change.hoursFrom !== undefined) {
        db.prepare("DELETE FROM rollup_buckets WHERE interval = 'hour' AND start >= ?").run(
          change.hoursFrom,
        );
      }
      if (change.daysFrom !== undefined) {
        db.prepare("DELETE FROM rollup_buckets WHERE interval = 'day' AND start >= ?").run(
          change.daysFrom,
        );
      }
      const unqueue = db.prepare('DELETE FROM rollup_late WHERE id = ?');
      for (const id of change.lateDone ?? []) unqueue.run(id);
      const insert = db.prepare(
        'INSERT OR REPLACE INTO rollup_buckets (interval, start, host, counts, visitors) VALUES (?, ?, ?, ?, ?)',
      );
      for (const bucket of [...change.hours, ...change.days]) {
        insert.run(
          bucket.interval,
          bucket.start,
          bucket.host,
          JSON.stringify(bucket.counts),
          Buffer.from(bucket.visitors.serialize()),
        );
      }
      db.prepare('UPDATE rollup_state SET watermark = ? WHERE id = 1').run(change.watermark);
    });
    apply.immediate();
  }

  scan(_lease: RollupLease, range: ScanRange, into: (fact: RollupFact) => void): string {
    return scanRecords(this.#open(), range, into);
  }

  late(_lease: RollupLease, limit: number, into: (fact: RollupFact) => void): string[] {
    return lateRecords(this.#open(), limit, into);
  }

  purge(before: Date): number {
    return this.#open()
      .prepare('DELETE FROM rollup_buckets WHERE start < ?')
      .run(before.toISOString()).changes;
  }

  #open(): Database.Database {
    if (this.#db === undefined) throw new Error('SqliteRollups: call init() first');
    return this.#db;
  }
}
