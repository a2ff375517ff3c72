/**
 * Emptying SQLite's write-ahead log after an erasure or a purge. Until a checkpoint copies them
 * back and the log is truncated, the `-wal` file keeps the pages as they were before the delete,
 * erased records included. A `TRUNCATE` checkpoint waits for readers through the connection's
 * busy timeout (a few milliseconds: better-sqlite3 blocks the event loop while it waits); when a
 * reader still holds the log, the checkpoint is retried later on a timer instead of waiting longer.
 */
import type Database from 'better-sqlite3';

/** First retry after a refused checkpoint; each later one waits twice as long, up to the cap. */
const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 30_000;

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

/** The truncating checkpoint of one store's connection, with its retries. */
export class WalTruncation {
  readonly #db: () => Database.Database | undefined;
  readonly #name: () => string;
  #timer: NodeJS.Timeout | undefined;
  #delayMs = FIRST_RETRY_MS;
  #pending = false;

  /**
   * @param db the open connection, or undefined once closed.
   * @param name the store's name, for the warning a failing checkpoint emits.
   */
  constructor(db: () => Database.Database | undefined, name: () => string) {
    this.#db = db;
    this.#name = name;
  }

  /** Whether a checkpoint is still owed: the log may hold pages of deleted records. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Checkpoint and truncate now; when a reader prevents it, retry later. */
  clear(): void {
    this.#pending = true;
    this.#delayMs = FIRST_RETRY_MS;
    if (!this.clearNow()) this.#schedule();
  }

  /** One attempt; returns whether the log is empty now. Never throws. */
  clearNow(): boolean {
    const db = this.#db();
    if (db === undefined || db.memory) {
      this.#pending = false;
      return true;
    }
    try {
      const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as CheckpointRow[];
      // `busy` is 1 when a reader or writer kept the checkpoint from finishing.
      if (row !== undefined && row.busy === 0) {
        this.#pending = false;
        return true;
      }
    } catch (error) {
      // SQLITE_BUSY from another connection's lock: the same as a refused checkpoint.
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') {
        process.emitWarning(
          `${this.#name()}: checkpoint after erasure failed: ${(error as Error).message}`,
        );
      }
    }
    return false;
  }

  /** Stop retrying (the connection is closing). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.clearNow()) return;
      this.#delayMs = Math.min(this.#delayMs * 2, MAX_RETRY_MS);
      this.#schedule();
    }, this.#delayMs);
    // A pending checkpoint must not keep the process alive: the next open or close does it.
    this.#timer.unref();
  }
}
