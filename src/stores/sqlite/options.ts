/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Database file, created if missing, or `':memory:'`. Its folder must exist and be writable
   * (SQLite keeps its write-ahead log beside the file): the constructor checks both and throws
   * naming the path, and never creates a folder. Default `'./access-log.sqlite'`.
   */
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
