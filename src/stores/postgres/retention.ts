/**
 * Retention in PostgreSQL: daily partitions made ahead, whole expired days dropped, and the rest
 * purged row by row. The caller holds the sweeper lock; every statement is bounded by `limits`.
 */

import { STRIPPABLE_CATEGORIES } from '../retention.js';
import type { PurgeResult } from '../store.js';
import { type Query, type SessionLimits, transaction } from './session.js';
import { heldPredicate, MIGRATION_LOCK, type TableNames } from './sql.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The counts `purge` returns, added to as each step runs. */
export interface PurgeCounts extends PurgeResult {
  droppedPartitions?: number;
}

/**
 * Make the daily partitions for `days` days from `from` (UTC) that do not exist yet, one per
 * transaction. A day that already has rows in the default partition is left there: PostgreSQL
 * refuses a partition whose rows sit in the default one.
 */
export async function makePartitions(
  query: Query,
  limits: SessionLimits,
  t: TableNames,
  from: Date,
  days: number,
): Promise<void> {
  const existing = new Set(await partitionDays(query, t));
  const start = Math.floor(from.getTime() / DAY_MS) * DAY_MS;
  for (let i = 0; i < days; i++) {
    const dayStart = new Date(start + i * DAY_MS);
    const day = dayKey(dayStart);
    if (existing.has(day)) continue;
    try {
      await transaction(query, limits, async (q) => {
        // Two instances making the same partition at once would collide in the catalog.
        await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, t.raw]);
        await q(
          `CREATE TABLE IF NOT EXISTS ${t.partition(day)} PARTITION OF ${t.base}
               FOR VALUES FROM ('${dayStart.toISOString()}') TO ('${new Date(dayStart.getTime() + DAY_MS).toISOString()}')`,
        );
      });
    } catch (error) {
      // 23514: rows for that day already sit in the default partition; they are purged there.
      if ((error as { code?: unknown }).code !== '23514') throw error;
    }
  }
}

/** The `YYYYMMDD` days that have a partition. */
async function partitionDays(query: Query, t: TableNames): Promise<string[]> {
  const { rows } = await query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass`,
    [t.base],
  );
  const prefix = `${t.raw}_p`;
  return rows
    .map((row) => row.name)
    .filter((name) => name.startsWith(prefix) && /^\d{8}$/.test(name.slice(prefix.length)))
    .map((name) => name.slice(prefix.length));
}

/**
 * Drop each past day whose records have all reached their essential expiry, none held, adding
 * what went to `result`: a whole day goes as one DROP TABLE instead of a row-by-row delete.
 */
export async function dropExpiredPartitions(
  query: Query,
  limits: SessionLimits,
  t: TableNames,
  now: Date,
  result: PurgeCounts,
): Promise<void> {
  const iso = now.toISOString();
  for (const day of (await partitionDays(query, t)).sort()) {
    if (dayEnd(day) > now.getTime()) break;
    const partition = t.partition(day);
    // A cheap look first (the index on the earliest expiry): a row whose every expiry is ahead
    // keeps its day. A day with unexpired records stops the walk, since later days expire later;
    // their rows are purged one by one below.
    const { rows: peek } = await query<{ live: boolean | null }>(
      `SELECT max(exp_next) > $1 AS live FROM ${partition}`,
      [iso],
    );
    if (peek[0]?.live === true) break;
    if ((await dropDay(query, limits, t, partition, iso, result)) === 'live') break;
  }
}

/**
 * Check one past day under lock and drop it when everything in it has expired, none held. Says
 * whether it was dropped, kept because some record in it lives on, or left because its lock was
 * busy.
 */
async function dropDay(
  query: Query,
  limits: SessionLimits,
  t: TableNames,
  partition: string,
  iso: string,
  result: PurgeCounts,
): Promise<'dropped' | 'live' | 'busy'> {
  try {
    return await transaction(query, limits, async (q) => {
      await q(`LOCK TABLE ${t.holds} IN SHARE MODE`);
      // Nothing can be written into the day while it is checked and dropped.
      await q(`LOCK TABLE ${partition} IN ACCESS EXCLUSIVE MODE`);
      const { rows } = await q<Record<string, string>>(
        `SELECT count(*) AS rows,
                  count(*) FILTER (WHERE r.exp_essential IS NULL OR r.exp_essential > $1
                                      OR ${heldPredicate(t)}) AS live,
                  ${STRIPPABLE_CATEGORIES.map(
                    (c) => `count(*) FILTER (WHERE r.exp_${c} <= $1) AS ${c}`,
                  ).join(', ')}
             FROM ${partition} r`,
        [iso],
      );
      const counts = rows[0]!;
      if (Number(counts.live) > 0) return 'live';
      await q(`DROP TABLE ${partition}`);
      result.deleted += Number(counts.rows);
      for (const category of STRIPPABLE_CATEGORIES) {
        result.removed[category] = (result.removed[category] ?? 0) + Number(counts[category]);
      }
      result.droppedPartitions = (result.droppedPartitions ?? 0) + 1;
      return 'dropped';
    });
  } catch (error) {
    // 55P03: busy writers kept the lock past lock_timeout; the day's rows are purged one by one
    // below, and the next sweep tries the drop again.
    if ((error as { code?: unknown }).code !== '55P03') throw error;
    return 'busy';
  }
}

/**
 * Within a transaction: delete the records whose essential category expired, then strip every
 * expired category from the rest, skipping held records; adds the counts to `result`. Rows are
 * found by the index on `exp_next`, the earliest expiry: a row with an expired category has one at
 * or before `now`. Stripping casts the `json` record to `jsonb` for its operators and back.
 */
export async function purgeRows(
  query: Query,
  t: TableNames,
  now: Date,
  result: PurgeCounts,
): Promise<void> {
  const iso = now.toISOString();
  const held = heldPredicate(t);
  await query(`LOCK TABLE ${t.holds} IN SHARE MODE`);
  // Records that go entirely: counted per category as the other stores count them.
  const { rows } = await query<Record<string, string>>(
    `WITH gone AS (
         DELETE FROM ${t.base} r
          WHERE r.exp_next <= $1 AND r.exp_essential <= $1 AND NOT ${held}
         RETURNING ${STRIPPABLE_CATEGORIES.map((c) => `r.exp_${c}`).join(', ')}
       )
       SELECT count(*) AS deleted,
              ${STRIPPABLE_CATEGORIES.map((c) => `count(*) FILTER (WHERE exp_${c} <= $1) AS ${c}`).join(', ')}
         FROM gone`,
    [iso],
  );
  const gone = rows[0]!;
  result.deleted += Number(gone.deleted);
  for (const category of STRIPPABLE_CATEGORIES) {
    const cleared = [`exp_${category} = NULL`];
    if (category === 'nonessential') cleared.push('visitor_id = NULL');
    if (category === 'optional') cleared.push('email = NULL');
    const stripped = await query(
      `UPDATE ${t.base} r
            SET record = ((r.record::jsonb - '${category}') #- '{expires,${category}}')::json,
                ${cleared.join(', ')}
          WHERE r.exp_next <= $1 AND r.exp_${category} <= $1 AND NOT ${held}`,
      [iso],
    );
    result.removed[category] =
      (result.removed[category] ?? 0) + Number(gone[category]) + (stripped.rowCount ?? 0);
  }
}

/** `YYYYMMDD` of a UTC day. */
function dayKey(day: Date): string {
  return day.toISOString().slice(0, 10).replaceAll('-', '');
}

/** Epoch ms at which a `YYYYMMDD` day ends. */
function dayEnd(day: string): number {
  return Date.UTC(
    Number(day.slice(0, 4)),
    Number(day.slice(4, 6)) - 1,
    Number(day.slice(6, 8)) + 1,
  );
}
