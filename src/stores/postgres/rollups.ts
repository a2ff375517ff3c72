import { randomUUID } from 'node:crypto';
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
import { lateRecords, rollupScanSql, scanRecords } from './rollup-scan.js';
import type { PgClient, PgPool } from './session.js';
import { MIGRATION_LOCK, tableNames } from './sql.js';

/** Advisory lock key of the rollup runner, beside the migration and sweeper locks. */
export const ROLLUP_LOCK = 0x65706c03;

/** Options of {@link PostgresRollups}. */
export interface PostgresRollupsOptions {
  /** The pool the records' store uses (the user's `pg.Pool`). */
  pool: PgPool;
  /** The records' base table; rollups use `<table>_rollups` and `<table>_rollup_state`. */
  table?: string;
  /** `statement_timeout` of a run's commit, in ms. Default 60 000. */
  statementTimeoutMs?: number;
}

type Row = { interval: Interval; start: string; host: string; counts: string; visitors: Buffer };

/**
 * Rollups in PostgreSQL, for many app instances sharing one database. The runner's lease is a
 * session advisory lock held on a connection of its own for the whole run: the database releases
 * it when that connection ends, so a crashed instance never blocks the others, and two instances
 * never roll up at once. The buckets and the watermark commit in one transaction on that connection.
 */
export class PostgresRollups implements RollupStore {
  readonly name = 'PostgresRollups';
  readonly #pool: PgPool;
  readonly #raw: string;
  readonly #buckets: string;
  readonly #state: string;
  readonly #timeoutMs: number;
  readonly #base: string;
  readonly #scan: ReturnType<typeof rollupScanSql>;
  readonly #sessions = new Map<string, { client: PgClient; onError: () => void }>();

  constructor(options: PostgresRollupsOptions) {
    const names = tableNames(options.table ?? 'access_records');
    this.#pool = options.pool;
    this.#raw = names.raw;
    this.#buckets = `"${names.raw}_rollups"`;
    this.#state = `"${names.raw}_rollup_state"`;
    this.#timeoutMs = options.statementTimeoutMs ?? 60_000;
    this.#base = names.base;
    this.#scan = rollupScanSql(names.base, names.raw, this.#state);
  }

  async init(): Promise<void> {
    await this.#withClient(async (client) => {
      await client.query('BEGIN');
      try {
        // Two instances creating the tables at once would collide in the catalog.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
          MIGRATION_LOCK,
          `${this.#raw}_rollups`,
        ]);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.#buckets} (
            interval text NOT NULL,
            start text NOT NULL,
            host text NOT NULL,
            counts text NOT NULL,
            visitors bytea NOT NULL,
            PRIMARY KEY (interval, start, host))`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.#state} (
            id int PRIMARY KEY CHECK (id = 1), watermark text)`);
        await client.query(`INSERT INTO ${this.#state} (id) VALUES (1) ON CONFLICT DO NOTHING`);
        // The records' table comes first: the record store creates it before rollups start.
        await client.query(this.#scan.schema);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async acquire(ttlMs: number): Promise<RollupLease | undefined> {
    const client = await this.#pool.connect();
    const onError = (): void => {};
    client.on('error', onError);
    try {
      const { rows } = (await client.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
        ROLLUP_LOCK,
        this.#raw,
      ])) as { rows: { ok: boolean }[] };
      if (rows[0]?.ok !== true) {
        client.off('error', onError);
        client.release();
        return undefined;
      }
    } catch (error) {
      client.release(true);
      throw error;
    }
    const lease = { token: randomUUID(), until: Date.now() + ttlMs };
    this.#sessions.set(lease.token, { client, onError });
    return lease;
  }

  async release(lease: RollupLease): Promise<void> {
    const session = this.#sessions.get(lease.token);
    if (session === undefined) return;
    this.#sessions.delete(lease.token);
    const { client, onError } = session;
    try {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [ROLLUP_LOCK, this.#raw]);
      client.off('error', onError);
      client.release();
    } catch {
      // Ending the connection releases the lock as well.
      client.release(true);
    }
  }

  async watermark(): Promise<string | undefined> {
    const rows = await this.#query<{ watermark: string | null }>(
      `SELECT watermark FROM ${this.#state} WHERE id = 1`,
    );
    return rows[0]?.watermark ?? undefined;
  }

  async buckets(interval: Interval, from: string, to: string, host?: string): Promise<Bucket[]> {
    const rows = await this.#query<Row>(
      `SELECT interval, start, host, counts, visitors FROM ${this.#buckets}
         WHERE interval = $1 AND start >= $2 AND start < $3 AND ($4::text IS NULL OR host = $4)
         ORDER BY start, host`,
      [interval, from, to, host ?? null],
    );
    return rows.map((row) => ({
      host: row.host,
      interval: row.interval,
      start: row.start,
      counts: countsFromJson(row.counts),
      visitors: HyperLogLog.deserialize(row.visitors),
    }));
  }

  async commit(lease: RollupLease, change: RollupChange): Promise<void> {
    const client = this.#sessions.get(lease.token)?.client;
    if (client === undefined) throw new LeaseLostError();
    await client.query(`BEGIN; SET LOCAL statement_timeout = ${Math.trunc(this.#timeoutMs)}`);
    try {
      const check = change.check;
      if (check !== undefined) {
        // SHARE waits for every writer in flight and holds new ones until the commit: no record
        // can land behind the new watermark between this look and the commit without being
        // seen here, and one written after it finds the new watermark and is queued.
        await client.query(`LOCK TABLE ${this.#base} IN SHARE MODE`);
        const { rows } = (await client.query(this.#scan.fingerprint, [check.from, check.to])) as {
          rows: { f: string }[];
        };
        if (rows[0]?.f !== check.fingerprint) throw new RollupRaceError();
      }
      if (change.hoursFrom !== undefined) {
        await client.query(`DELETE FROM ${this.#buckets} WHERE interval = 'hour' AND start >= $1`, [
          change.hoursFrom,
        ]);
      }
      if (change.daysFrom !== undefined) {
        await client.query(`DELETE FROM ${this.#buckets} WHERE interval = 'day' AND start >= $1`, [
          change.daysFrom,
        ]);
      }
      if (change.lateDone !== undefined && change.lateDone.length > 0) {
        await client.query(this.#scan.unqueue, [change.lateDone]);
      }
      const buckets = [...change.hours, ...change.days];
      // One statement per chunk of buckets: a day of hours for fifty hosts is one round trip.
      for (let at = 0; at < buckets.length; at += 500) {
        const chunk = buckets.slice(at, at + 500);
        await client.query(
          `INSERT INTO ${this.#buckets} (interval, start, host, counts, visitors)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
             ON CONFLICT (interval, start, host)
               DO UPDATE SET counts = EXCLUDED.counts, visitors = EXCLUDED.visitors`,
          [
            chunk.map((b) => b.interval),
            chunk.map((b) => b.start),
            chunk.map((b) => b.host),
            chunk.map((b) => JSON.stringify(b.counts)),
            chunk.map((b) => Buffer.from(b.visitors.serialize())),
          ],
        );
      }
      await client.query(`UPDATE ${this.#state} SET watermark = $1 WHERE id = 1`, [
        change.watermark,
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }

  async scan(
    lease: RollupLease,
    range: ScanRange,
    into: (fact: RollupFact) => void,
  ): Promise<string> {
    return scanRecords(this.#session(lease), this.#scan, range, into);
  }

  async late(
    lease: RollupLease,
    limit: number,
    into: (fact: RollupFact) => void,
  ): Promise<string[]> {
    return lateRecords(this.#session(lease), this.#scan, limit, into);
  }

  #session(lease: RollupLease): PgClient {
    const client = this.#sessions.get(lease.token)?.client;
    if (client === undefined) throw new LeaseLostError();
    return client;
  }

  async purge(before: Date): Promise<number> {
    return this.#withClient(async (client) => {
      const result = await client.query(`DELETE FROM ${this.#buckets} WHERE start < $1`, [
        before.toISOString(),
      ]);
      return result.rowCount ?? 0;
    });
  }

  async close(): Promise<void> {
    for (const token of [...this.#sessions.keys()]) {
      await this.release({ token, until: 0 });
    }
  }

  async #query<R>(text: string, values?: unknown[]): Promise<R[]> {
    return this.#withClient(
      async (client) => (await client.query(text, values)).rows as unknown as R[],
    );
  }

  async #withClient<T>(work: (client: PgClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const onError = (): void => {};
    client.on('error', onError);
    let failed = false;
    try {
      return await work(client);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      client.off('error', onError);
      client.release(failed ? true : undefined);
    }
  }
}
