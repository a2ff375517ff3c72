import type { RollupFact } from '../reports/facts.js';
import type { ScanRange } from '../reports/rollup-store.js';
import type { PgClient } from './postgres-session.js';

/** Rows per page of a scan: a day of a busy site is read in pages, never held whole. */
const PAGE = 5000;

/**
 * What a rollup needs of a record, taken from it by the server: the client gets a few short fields
 * per record instead of the whole document to parse. Named as {@link RollupFact}. The record is
 * kept as `json` text, which each operator would parse again: `j` is it converted once, to `jsonb`.
 */
const FACT_COLUMNS = `(extract(epoch FROM time) * 1000)::float8 AS time, id,
  j->'essential'->>'host' AS host,
  j->'essential'->>'method' AS method,
  (j->'essential'->>'status')::int AS status,
  coalesce(j->'essential'->>'route', j->'essential'->>'path') AS page,
  (j->'essential'->>'durationMs')::float8 AS "durationMs",
  (j->'essential'->>'bytes')::float8 AS bytes,
  coalesce((j->'essential'->>'bot')::boolean, false) AS bot,
  coalesce((j->'essential'->>'aborted')::boolean, false) AS aborted,
  j->'essential'->'browser'->>'name' AS browser,
  j->'essential'->'os'->>'name' AS os,
  j->'essential'->>'device' AS device,
  j->'client'->'geo'->>'country' AS country,
  j->'client'->'geo'->>'region' AS region,
  j ? 'nonessential' AS nonessential,
  j->'nonessential'->>'referrer' AS referrer,
  j->'nonessential'->>'visitorId' AS visitor`;

type FactRow = { [K in keyof RollupFact]: RollupFact[K] | null } & { id: string };

/** Null columns (a field the record lacks) become undefined, as in a parsed record. */
function factOf(row: FactRow): RollupFact {
  return {
    time: row.time ?? Number.NaN,
    host: row.host ?? undefined,
    method: row.method ?? '',
    status: row.status ?? 0,
    page: row.page ?? '',
    durationMs: row.durationMs ?? 0,
    bytes: row.bytes ?? undefined,
    bot: row.bot === true,
    aborted: row.aborted === true,
    browser: row.browser ?? undefined,
    os: row.os ?? undefined,
    device: row.device ?? undefined,
    country: row.country ?? undefined,
    region: row.region ?? undefined,
    nonessential: row.nonessential === true,
    referrer: row.referrer ?? undefined,
    visitor: row.visitor ?? undefined,
  };
}

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
      DROP TRIGGER IF EXISTS "${raw}_rollup_late" ON ${base};
      CREATE TRIGGER "${raw}_rollup_late" AFTER INSERT ON ${base}
        REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();`,
    /** How many records a range holds, and a hash sum of their ids: a write or delete changes it. */
    fingerprint: `SELECT count(*) || ':' || coalesce(sum(hashtext(id)::bigint), 0) AS f
        FROM ${base} WHERE time >= $1 AND time < $2`,
    page: (bounded: boolean) =>
      `SELECT ${FACT_COLUMNS} FROM (
         SELECT time, id, record::jsonb AS j FROM ${base}
          WHERE time >= $1 ${bounded ? 'AND time < $4' : ''} AND (time, id) > ($2::timestamptz, $3)
          ORDER BY time, id LIMIT ${PAGE}) page
        ORDER BY time, id`,
    lateRows: `SELECT q.id AS qid, r.* FROM
        (SELECT time, id FROM ${late} ORDER BY time, id LIMIT $1) q
        LEFT JOIN LATERAL (SELECT ${FACT_COLUMNS} FROM (SELECT time, id, record::jsonb AS j
                            FROM ${base} b WHERE b.time = q.time AND b.id = q.id) one) r ON true
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
      const page = ((await client.query(text, values)) as { rows: FactRow[] }).rows;
      for (const row of page) into(factOf(row));
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) break;
      after = [new Date(last.time!).toISOString(), last.id];
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
  const { rows } = (await client.query(sql.lateRows, [limit])) as {
    rows: (FactRow & { qid: string })[];
  };
  for (const row of rows) if (row.id !== null) into(factOf(row));
  return rows.map((row) => row.qid);
}
