import type { AccessRecord } from '../../record.js';
import { factOf, type RollupFact } from '../../reports/facts.js';
import type { ScanRange } from '../../reports/rollup-store.js';
import type { PgClient } from './session.js';

/** Rows per page of a scan: a day of a busy site is read in pages, never held whole. */
const PAGE = 5000;

/**
 * Records come as their JSON text, parsed here: the column is `json`, and having the server convert
 * each record to `jsonb` to pick out a rollup's few fields costs more wall time than this parse
 * (bench: about two thirds of the throughput), and store.read's transaction per page more again.
 */
type RecordRow = { record: string | null; time: Date; id: string };

/** The SQL of the rollups' view of the records: the late queue, its trigger, the reads. */
export function rollupScanSql(base: string, raw: string, state: string) {
  const late = `"${raw}_rollup_late"`;
  const fn = `"${raw}_rollup_queue_late"`;
  return {
    late,
    /**
     * A statement trigger with a transition table: one insert into the queue per batch written, not
     * a function call per row. It runs in the writer's transaction, so a record is queued exactly
     * when it is stored.
     */
    schema: `CREATE TABLE IF NOT EXISTS ${late} (
        time timestamptz NOT NULL, id text COLLATE "C" NOT NULL, PRIMARY KEY (time, id));
      CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        INSERT INTO ${late} (time, id)
          SELECT n.time, n.id FROM new_records n, ${state} s
           WHERE s.id = 1 AND s.watermark IS NOT NULL AND n.time < s.watermark::timestamptz
          ON CONFLICT DO NOTHING;
        RETURN NULL;
      END $f$;
      DO $t$ BEGIN
        -- Creating a trigger locks out writers for a moment: only when it is missing.
        IF NOT EXISTS (SELECT 1 FROM pg_trigger
                        WHERE tgname = '${raw}_rollup_late' AND tgrelid = '${base}'::regclass) THEN
          CREATE TRIGGER "${raw}_rollup_late" AFTER INSERT ON ${base}
            REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
        END IF;
      END $t$;`,
    /** How many records a range holds, and a hash sum of their ids: a write or delete changes it. */
    fingerprint: `SELECT count(*) || ':' || coalesce(sum(hashtext(id)::bigint), 0) AS f
        FROM ${base} WHERE time >= $1 AND time < $2`,
    page: (bounded: boolean) =>
      `SELECT record::text AS record, time, id FROM ${base}
        WHERE time >= $1 ${bounded ? 'AND time < $4' : ''} AND (time, id) > ($2::timestamptz, $3)
        ORDER BY time, id LIMIT ${PAGE}`,
    lateRows: `SELECT q.id, q.time, r.record::text AS record FROM
        (SELECT time, id FROM ${late} ORDER BY time, id LIMIT $1) q
        LEFT JOIN ${base} r ON r.time = q.time AND r.id = q.id
        ORDER BY q.time, q.id`,
    unqueue: `DELETE FROM ${late} WHERE id = ANY($1::text[])`,
  };
}

type ScanSql = ReturnType<typeof rollupScanSql>;

/** Read a range's facts and fingerprint in one REPEATABLE READ snapshot. */
export async function scanRecords(
  client: PgClient,
  sql: ScanSql,
  range: ScanRange,
  into: (fact: RollupFact) => void,
): Promise<string> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const { rows } = (await client.query(sql.fingerprint, [range.from, range.checkTo])) as {
      rows: { f: string }[];
    };
    const text = sql.page(range.to !== undefined);
    let after: [string, string] = ['-infinity', ''];
    for (;;) {
      const values: unknown[] = [range.from, ...after];
      if (range.to !== undefined) values.push(range.to);
      const page = ((await client.query(text, values)) as { rows: RecordRow[] }).rows;
      for (const row of page) into(factOf(JSON.parse(row.record!) as AccessRecord));
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) break;
      after = [last.time.toISOString(), last.id];
    }
    await client.query('COMMIT');
    return rows[0]!.f;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Up to `limit` queued late records, oldest first; the ids include those erased since. */
export async function lateRecords(
  client: PgClient,
  sql: ScanSql,
  limit: number,
  into: (fact: RollupFact) => void,
): Promise<string[]> {
  const { rows } = (await client.query(sql.lateRows, [limit])) as { rows: RecordRow[] };
  for (const row of rows) {
    if (row.record !== null) into(factOf(JSON.parse(row.record) as AccessRecord));
  }
  return rows.map((row) => row.id);
}
