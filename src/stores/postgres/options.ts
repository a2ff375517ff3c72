import type { PgPoolConfig } from '../owned-connections.js';
import type { SpillOptions } from '../spill-options.js';
import type { PgPool } from './session.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * A `pg.Pool` (or anything with the same `connect()`), owned by the caller: the store borrows
   * connections and never ends the pool. Give the pool an `'error'` listener, as pg asks, and a
   * `connectionTimeoutMillis`, so that a connection attempt to an unreachable server ends. Or:
   */
  pool?: PgPool;
  /** A connection string: the store makes its own pool and ends it on `close()` (worker-ready). */
  connectionString?: string;
  /** pg pool options as plain data (`host`, `database`, `max`...), used as `connectionString`. */
  poolConfig?: PgPoolConfig;
  /** Base table name; the store also uses `<table>_holds`, `<table>_schema`, `<table>_disclosures` (with the first evidence export) and partitions `<table>_pYYYYMMDD`. Default `'access_records'`. */
  table?: string;
  /** Name for stats and diagnostics. Default `'PostgresStore'`. */
  name?: string;
  /** Longest wait in ms for a connection from the pool. Default 5000. */
  connectTimeoutMs?: number;
  /** `statement_timeout` in ms for writes and reads; the client gives up a second later. Default 10 000. */
  statementTimeoutMs?: number;
  /**
   * `statement_timeout` in ms for each step of `purge`, which may touch many rows, and of a schema
   * migration in `init()`. Default 300 000.
   */
  purgeTimeoutMs?: number;
  /** `lock_timeout` in ms. Default 2000. */
  lockTimeoutMs?: number;
  /** Daily partitions made ahead of today (UTC), by `init()` and by every `purge()`. Default 7. */
  partitionsAheadDays?: number;
  /**
   * Load batches with `COPY ... FROM STDIN`, through the optional peer dependency pg-copy-streams:
   * about twice the rows per second of the insert. `true` makes `init()` fail when the package is
   * missing; `false` always inserts. Default: COPY when pg-copy-streams is installed.
   */
  copy?: boolean;
  /**
   * A disk spill for outages: while the server is down and the logger's memory buffer for this
   * store is half full, batches go to files in `dir` (0600, in a 0700 directory), replayed in
   * order once it answers again, also by the next process. Spilled records are personal data:
   * retention and erasure apply to them. See docs/delivery.md. Default: no spill.
   */
  spill?: SpillOptions;
}
