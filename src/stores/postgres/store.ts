import type { AccessRecord } from '../../record.js';
import type { ConsentEvent, ConsentQuery } from '../consent-events.js';
import { normalizeHold } from '../hold-scope.js';
import { type OwnedPgPool, storePool } from '../owned-connections.js';
import { emptyPurgeResult } from '../retention.js';
import { parseSpillOptions, type SpillSettings, spillSettingsOf } from '../spill-options.js';
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
import { insertConsents, purgeConsents, selectConsents } from './consents.js';
import { type CopyFrom, copyRows, copySql, inKeyOrder, loadCopyFrom } from './copy.js';
import { pgDisclose, pgDisclosures } from './disclosures.js';
import type { PostgresStoreOptions } from './options.js';
import { dropExpiredPartitions, makePartitions, purgeRows } from './retention.js';
import { PostgresRollups } from './rollups.js';
import { migrateSchema } from './schema.js';
import {
  inTransaction,
  type PgPool,
  type SessionLimits,
  transaction,
  withConnection,
} from './session.js';
import {
  batchJson,
  heldPredicate,
  insertSql,
  SWEEPER_LOCK,
  scopeColumns,
  scopeSubject,
  type TableNames,
  tableNames,
} from './sql.js';
import { removedRows, vacuumFailed, vacuumTables } from './vacuum.js';

export type { PostgresStoreOptions } from './options.js';
export { POSTGRES_SCHEMA_VERSION } from './schema.js';
export type { PgClient, PgPool, PgResult } from './session.js';

/** What {@link PostgresStore.purge} reports: `skipped` when another instance was sweeping. */
export interface PostgresPurgeResult extends PurgeResult {
  /** True when another store instance held the sweeper lock, so this call changed nothing. */
  skipped?: boolean;
  /** Whole daily partitions dropped because every record in them had expired. */
  droppedPartitions?: number;
}

const READ_PAGE = 500;
const DAY_MS = 24 * 60 * 60 * 1000;
/** unique_violation: a COPY met a record that is stored already. */
const UNIQUE_VIOLATION = '23505';

type Row = { record: AccessRecord; time: Date; id: string };

/**
 * Records in PostgreSQL, for many app instances sharing one database. The table is partitioned by
 * day of the request (UTC): when every record of a past day has expired, `purge` drops its whole
 * partition instead of deleting rows; otherwise it strips expired categories and deletes expired
 * records row by row. Days without a partition (the past before the store was set up, or beyond
 * the days made ahead) land in a default partition and are purged row by row.
 *
 * A batch is loaded with one `COPY ... FROM STDIN` when pg-copy-streams is installed (see the
 * `copy` option). COPY cannot skip a record that is stored already, so a batch whose COPY meets one
 * (a retry, or another instance writing the same records) is written again with the insert:
 * `INSERT ... SELECT FROM jsonb_array_elements($1) ON CONFLICT DO NOTHING`, one parameter
 * whatever the batch size. Either way writes are idempotent by record id. Only one instance sweeps
 * at a time (a session advisory lock; the others skip). Every statement runs under
 * `statement_timeout` and `lock_timeout`, and waiting for a pool connection is bounded.
 */
export class PostgresStore implements Store {
  /** Name for stats and diagnostics. */
  readonly name: string;
  readonly #pool: PgPool;
  /** The pool the store made itself (from a connection string or options), and the options. */
  readonly #owned: { pool: OwnedPgPool; options: Record<string, unknown> } | undefined;
  readonly #t: TableNames;
  readonly #limits: SessionLimits;
  readonly #purgeTimeoutMs: number;
  readonly #aheadDays: number;
  readonly #copy: boolean | undefined;
  /** pg-copy-streams' `from`, once `init()` found it; `undefined` means insert. */
  #copyFrom: CopyFrom | undefined;
  #initializing: Promise<void> | undefined;
  #closed = false;
  readonly #running = new Set<Promise<unknown>>();

  /** @param options see {@link PostgresStoreOptions}; no I/O happens here. */
  constructor(options: PostgresStoreOptions) {
    const connectTimeoutMs = positive('connectTimeoutMs', options?.connectTimeoutMs, 5000);
    const { pool, owned } = storePool(options, connectTimeoutMs);
    this.#pool = pool;
    this.#owned = owned;
    this.#t = tableNames(options.table ?? 'access_records');
    this.name = options.name ?? 'PostgresStore';
    this.#limits = {
      connectTimeoutMs,
      statementTimeoutMs: positive('statementTimeoutMs', options.statementTimeoutMs, 10_000),
      lockTimeoutMs: positive('lockTimeoutMs', options.lockTimeoutMs, 2000),
    };
    this.#purgeTimeoutMs = positive('purgeTimeoutMs', options.purgeTimeoutMs, 300_000);
    this.#aheadDays = positive('partitionsAheadDays', options.partitionsAheadDays, 7, 0);
    if (options.copy !== undefined && typeof options.copy !== 'boolean') {
      throw new TypeError(`PostgresStore: copy must be true or false, got ${options.copy}`);
    }
    this.#copy = options.copy;
    this[spillSettingsOf] = parseSpillOptions(this.name, options.spill);
  }

  /** The validated `spill` option, read by the logger's delivery. */
  readonly [spillSettingsOf]: SpillSettings | undefined;

  /** How batches are loaded, once `init()` has resolved: `'copy'` or `'insert'`. */
  get writeMethod(): 'copy' | 'insert' {
    return this.#copyFrom === undefined ? 'insert' : 'copy';
  }

  /** The base table's name. */
  get table(): string {
    return this.#t.raw;
  }

  // --- traffic reports ---
  /** Where traffic rollups of these records are kept: tables beside them, in the same pool. */
  rollups(): PostgresRollups {
    return new PostgresRollups({ pool: this.#pool, table: this.#t.raw });
  }
  // --- end traffic reports ---

  /**
   * Create or migrate the schema (one instance at a time, under an advisory lock) and make the
   * partitions from yesterday to `partitionsAheadDays` ahead. Concurrent calls share one attempt;
   * after a failure the next call tries again. Rejects when the database's schema is newer than
   * {@link POSTGRES_SCHEMA_VERSION}.
   */
  init(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.name}: init() after close()`));
    this.#initializing ??= this.#track(
      (async () => {
        if (this.#copy !== false) this.#copyFrom = await loadCopyFrom(this.#copy === true);
        await this.#migrate();
        await this.createPartitions(new Date(Date.now() - DAY_MS), this.#aheadDays + 2);
      })(),
    ).catch((error: unknown) => {
      // Forgotten, so that the next call (the dispatcher's retry) tries again.
      this.#initializing = undefined;
      throw error;
    });
    return this.#initializing;
  }

  /**
   * Store a batch in one transaction, with COPY or with one insert; records whose id is already
   * stored are skipped.
   */
  async write(records: readonly AccessRecord[]): Promise<void> {
    await this.#ready('write');
    if (records.length === 0) return;
    const copyFrom = this.#copyFrom;
    if (copyFrom !== undefined) {
      const data = copyRows(records);
      try {
        await this.#track(
          inTransaction(this.#pool, this.#limits, (query) =>
            query.copyIn(copyFrom(copySql(this.#t)), data),
          ),
        );
        return;
      } catch (error) {
        // Rolled back whole; the insert below skips what is stored and writes the rest.
        if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      }
    }
    const sorted = inKeyOrder(records).map((entry) => entry.record);
    const json = batchJson(sorted);
    await this.#track(
      inTransaction(this.#pool, this.#limits, (query) => query(insertSql(this.#t), [json])),
    );
  }

  /**
   * Iterate the records that match `query`, oldest first (by `time`, then `id`), at most
   * `query.limit`, fetched in pages by keyset: no connection is held between pages.
   */
  async *read(query: ReadQuery = {}): AsyncGenerator<AccessRecord> {
    await this.#ready('read');
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const filters: string[] = [];
    const params: unknown[] = [];
    const subject = scopeSubject(query.subject);
    if (subject !== undefined) {
      if (subject.value === '') return;
      params.push(subject.value);
      filters.push(`${subject.column} = $${params.length}`);
    }
    if (query.from !== undefined) {
      params.push(query.from.toISOString());
      filters.push(`time >= $${params.length}`);
    }
    if (query.to !== undefined) {
      params.push(query.to.toISOString());
      filters.push(`time < $${params.length}`);
    }
    const n = params.length;
    filters.push(`(time, id) > ($${n + 1}::timestamptz, $${n + 2})`);
    const sql = `SELECT record, time, id FROM ${this.#t.base} WHERE ${filters.join(' AND ')}
                  ORDER BY time, id LIMIT $${n + 3}`;
    let after: [string, string] = ['-infinity', ''];
    while (remaining > 0) {
      const pageSize = Math.min(READ_PAGE, remaining);
      const { rows } = await this.#track(
        inTransaction(this.#pool, this.#limits, (q) =>
          q<Row>(sql, [...params, ...after, pageSize]),
        ),
      );
      for (const row of rows) yield row.record;
      const last = rows.at(-1);
      if (rows.length < pageSize || last === undefined) return;
      remaining -= rows.length;
      after = [last.time.toISOString(), last.id];
    }
  }

  /**
   * Apply retention at `now`, if no other instance is sweeping (then `skipped` is true and nothing
   * changes). First whole past days whose records have all expired, none held, are dropped as
   * partitions; then expired categories are stripped and records whose essential category expired
   * are deleted, skipping held records. Also makes the partitions ahead. Running it again at the
   * same `now` reports zeros.
   */
  async purge(now: Date): Promise<PostgresPurgeResult> {
    await this.#ready('purge');
    const limits = { ...this.#limits, statementTimeoutMs: this.#purgeTimeoutMs };
    return this.#track(
      withConnection(this.#pool, limits, async (query) => {
        const { rows } = await query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
          [SWEEPER_LOCK, this.#t.raw],
        );
        if (rows[0]?.locked !== true) return { ...emptyPurgeResult(), skipped: true };
        try {
          await makePartitions(query, limits, this.#t, now, this.#aheadDays + 1);
          const result: PostgresPurgeResult = { ...emptyPurgeResult(), droppedPartitions: 0 };
          await dropExpiredPartitions(query, limits, this.#t, now, result);
          const before = removedRows(result);
          await transaction(query, limits, (q) => purgeRows(q, this.#t, now, result));
          // Deleted and stripped rows stay in the pages, dead but readable, until a VACUUM.
          if (removedRows(result) > before) await vacuumTables(query, [this.#t.base], this.name);
          const consents = await transaction(query, limits, (q) => purgeConsents(q, this.#t, now));
          if (consents > 0) {
            result.consents = consents;
            await vacuumTables(query, [this.#t.consents], this.name);
          }
          return result;
        } finally {
          // If this fails the connection is destroyed (broken), which releases the lock too.
          await query('SELECT pg_advisory_unlock($1, hashtext($2))', [SWEEPER_LOCK, this.#t.raw]);
        }
      }),
    );
  }

  /**
   * Delete every record of `subject` that is not under legal hold; held ones are counted. The
   * partitions that lost rows are then vacuumed, so that the deleted tuples are removed from the
   * table's pages rather than left there, dead but readable, until autovacuum comes by (see
   * docs/stores.md for what this does and does not guarantee).
   */
  async erase(subject: Subject): Promise<EraseResult> {
    await this.#ready('erase');
    const found = scopeSubject(subject);
    if (found === undefined || found.value === '') return { erased: 0, held: 0 };
    const held = heldPredicate(this.#t);
    const outcome = await this.#track(
      inTransaction(this.#pool, this.#limits, async (query) => {
        // A hold being placed meanwhile waits for this erasure, or this erasure sees it.
        await query(`LOCK TABLE ${this.#t.holds} IN SHARE MODE`);
        const { rows } = await query<{ erased: string; held: string; parts: string[] | null }>(
          `WITH gone AS (
             DELETE FROM ${this.#t.base} r WHERE ${found.column} = $1 AND NOT ${held}
             RETURNING r.tableoid::regclass::text AS part
           )
           SELECT (SELECT count(*) FROM gone) AS erased,
                  (SELECT array_agg(DISTINCT part) FROM gone) AS parts,
                  (SELECT count(*) FROM ${this.#t.base} r
                    WHERE ${found.column} = $1 AND ${held}) AS held`,
          [found.value],
        );
        return {
          erased: Number(rows[0]?.erased ?? 0),
          held: Number(rows[0]?.held ?? 0),
          parts: rows[0]?.parts ?? [],
        };
      }),
    );
    await this.#vacuum(outcome.parts);
    return { erased: outcome.erased, held: outcome.held };
  }

  /** VACUUM the partitions an erasure deleted from, on a connection of their own. */
  async #vacuum(partitions: readonly string[]): Promise<void> {
    if (partitions.length === 0) return;
    const limits = { ...this.#limits, statementTimeoutMs: this.#purgeTimeoutMs };
    try {
      await this.#track(
        withConnection(this.#pool, limits, (query) => vacuumTables(query, partitions, this.name)),
      );
    } catch (error) {
      vacuumFailed(this.name, error);
    }
  }

  /**
   * Place or replace a legal hold (persisted in `<table>_holds`, in canonical form); returns how
   * many records it covers. Throws a TypeError for a malformed hold.
   */
  async hold(input: Hold): Promise<number> {
    const hold = normalizeHold(input);
    await this.#ready('hold');
    const columns = scopeColumns(hold.scope);
    return this.#track(
      inTransaction(this.#pool, this.#limits, async (query) => {
        await query(
          `INSERT INTO ${this.#t.holds} (id, hold, from_time, to_time, visitor_id, email, ids, ip)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE SET
             hold = jsonb_set(EXCLUDED.hold, '{createdAt}', ${this.#t.holds}.hold->'createdAt'),
             from_time = EXCLUDED.from_time,
             to_time = EXCLUDED.to_time, visitor_id = EXCLUDED.visitor_id,
             email = EXCLUDED.email, ids = EXCLUDED.ids, ip = EXCLUDED.ip`,
          [hold.id, JSON.stringify(hold), ...columns],
        );
        const { rows } = await query<{ n: string }>(
          `SELECT count(*) AS n FROM ${this.#t.base} r JOIN ${this.#t.holds} h ON h.id = $1
            WHERE (h.from_time IS NULL OR r.time >= h.from_time)
              AND (h.to_time IS NULL OR r.time < h.to_time)
              AND (h.visitor_id IS NULL OR r.visitor_id = h.visitor_id)
              AND (h.email IS NULL OR r.email = h.email)
              AND (h.ip IS NULL OR (r.record->'client'->>'ip') = h.ip)
              AND (h.ids IS NULL OR r.id = ANY (h.ids))`,
          [hold.id],
        );
        return Number(rows[0]?.n ?? 0);
      }),
    );
  }

  /** Release a hold; returns whether it existed. */
  async release(holdId: string): Promise<boolean> {
    await this.#ready('release');
    const { rowCount } = await this.#track(
      inTransaction(this.#pool, this.#limits, (query) =>
        query(`DELETE FROM ${this.#t.holds} WHERE id = $1`, [holdId]),
      ),
    );
    return (rowCount ?? 0) > 0;
  }

  /** Keep consent events in `<table>_consents`; an id stored already is skipped. */
  async writeConsents(events: readonly ConsentEvent[]): Promise<void> {
    await this.#ready('writeConsents');
    if (events.length === 0) return;
    await this.#track(
      inTransaction(this.#pool, this.#limits, (query) => insertConsents(query, this.#t, events)),
    );
  }

  /** The consent events that match `query`, oldest first. */
  async *readConsents(query: ConsentQuery = {}): AsyncGenerator<ConsentEvent> {
    await this.#ready('readConsents');
    yield* await this.#track(
      inTransaction(this.#pool, this.#limits, (q) => selectConsents(q, this.#t, query)),
    );
  }

  /** The holds in force, oldest first (by `createdAt`, then id). */
  async holds(): Promise<Hold[]> {
    await this.#ready('holds');
    const { rows } = await this.#track(
      inTransaction(this.#pool, this.#limits, (query) =>
        query<{ hold: Hold }>(
          `SELECT hold FROM ${this.#t.holds} ORDER BY hold->>'createdAt' COLLATE "C", id COLLATE "C"`,
        ),
      ),
    );
    return rows.map((row) => row.hold);
  }

  /** Enter an evidence export in the disclosure register (`<table>_disclosures`). */
  async disclose(entry: Disclosure): Promise<void> {
    await this.#ready('disclose');
    await this.#track(
      inTransaction(this.#pool, this.#limits, (query) => pgDisclose(query, this.#t, entry)),
    );
  }

  /** The disclosure register, oldest entry first. */
  async disclosures(): Promise<Disclosure[]> {
    await this.#ready('disclosures');
    return this.#track(
      inTransaction(this.#pool, this.#limits, (query) => pgDisclosures(query, this.#t)),
    );
  }

  /**
   * Make the daily partitions for `days` days from `from` (UTC) that do not exist yet. A day that
   * already has rows in the default partition is left there (PostgreSQL refuses the partition).
   * `init()` and `purge()` call this; call it yourself to prepare, say, a backfill.
   */
  async createPartitions(from: Date, days: number): Promise<void> {
    await withConnection(this.#pool, this.#limits, (query) =>
      makePartitions(query, this.#limits, this.#t, from, days),
    );
  }

  /** Stop accepting calls and wait for those running; end the pool if the store made it. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
    await this.#owned?.pool.end();
  }

  /** Made from plain data, the store can be made again in the logger's worker thread. */
  [toWorkerConfig](): WorkerStoreConfig | undefined {
    return this.#owned && { kind: 'postgres', options: { ...this.#owned.options } };
  }

  #migrate(): Promise<void> {
    // A migration may rewrite the table: it gets the purge's longer statement timeout.
    return inTransaction(
      this.#pool,
      this.#limits,
      (query) => migrateSchema(query, this.#t, this.name),
      this.#purgeTimeoutMs,
    );
  }

  async #ready(method: string): Promise<void> {
    if (this.#closed) throw new Error(`${this.name}: ${method}() after close()`);
    if (this.#initializing === undefined) {
      throw new Error(`${this.name}: await init() before ${method}() (table ${this.#t.raw})`);
    }
    await this.#initializing;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#running.add(promise);
    const forget = (): void => {
      this.#running.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`PostgresStore: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}
