/**
 * The PostgreSQL store's consent ledger, in `<table>_consents`: one row per event, the event as
 * `json`, with its time, visitor id and expiry as columns to find it by. Events are few (one per
 * change of choice), so purge checks holds in code against the expired candidates, by the rules
 * every store shares (see `consentInHoldScope`).
 */
import { type ConsentEvent, type ConsentQuery, isConsentHeld } from '../consent-events.js';
import type { Hold } from '../store.js';
import type { Query } from './session.js';
import type { TableNames } from './sql.js';

/** Insert events, skipping ids stored already; the whole batch is one JSON parameter. */
export async function insertConsents(
  query: Query,
  t: TableNames,
  events: readonly ConsentEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await query(
    `INSERT INTO ${t.consents} (id, time, visitor_id, expires, event)
       SELECT e->>'id', (e->>'time')::timestamptz, e->>'visitorId', (e->>'expires')::timestamptz,
              e::json
         FROM jsonb_array_elements($1::jsonb) AS e
       ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(events)],
  );
}

export async function selectConsents(
  query: Query,
  t: TableNames,
  q: ConsentQuery,
): Promise<ConsentEvent[]> {
  const filters: string[] = ['true'];
  const params: unknown[] = [];
  if (q.visitorId !== undefined) {
    params.push(q.visitorId);
    filters.push(`visitor_id = $${params.length}`);
  }
  if (q.from !== undefined) {
    params.push(q.from.toISOString());
    filters.push(`time >= $${params.length}`);
  }
  if (q.to !== undefined) {
    params.push(q.to.toISOString());
    filters.push(`time < $${params.length}`);
  }
  params.push(q.limit ?? null);
  const { rows } = await query<{ event: ConsentEvent }>(
    `SELECT event FROM ${t.consents} WHERE ${filters.join(' AND ')}
      ORDER BY time, id COLLATE "C" LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => row.event);
}

/** Delete the events past their expiry that no hold covers; returns how many. */
export async function purgeConsents(query: Query, t: TableNames, now: Date): Promise<number> {
  const holds = (await query<{ hold: Hold }>(`SELECT hold FROM ${t.holds}`)).rows.map(
    (row) => row.hold,
  );
  const { rows } = await query<{ event: ConsentEvent }>(
    `SELECT event FROM ${t.consents} WHERE expires <= $1`,
    [now.toISOString()],
  );
  const doomed = rows.map((row) => row.event).filter((event) => !isConsentHeld(event, holds));
  if (doomed.length === 0) return 0;
  const { rowCount } = await query(`DELETE FROM ${t.consents} WHERE id = ANY($1::text[])`, [
    doomed.map((event) => event.id),
  ]);
  return rowCount ?? 0;
}
