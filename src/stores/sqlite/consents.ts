import type Database from 'better-sqlite3';
import { type ConsentEvent, type ConsentQuery, isConsentHeld } from '../consent-events.js';
import type { Hold } from '../store.js';

type Statement = Database.Statement<unknown[], unknown>;

/**
 * The SQLite store's consent ledger, in the `consent_events` table. Events are few (one per change
 * of choice), so holds are checked in code against the handful of expired candidates, with the
 * same rules as the other stores (see `consentInHoldScope`).
 */
export class SqliteConsents {
  readonly #insert: Database.Transaction<(events: readonly ConsentEvent[]) => void>;
  readonly #expired: Statement;
  readonly #delete: Statement;
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    const insert = db.prepare(
      'INSERT OR IGNORE INTO consent_events (id, time, visitor_id, expires, event) VALUES (?, ?, ?, ?, ?)',
    );
    this.#insert = db.transaction((events: readonly ConsentEvent[]) => {
      for (const e of events) {
        insert.run(e.id, e.time, e.visitorId ?? null, e.expires, JSON.stringify(e));
      }
    });
    this.#expired = db.prepare('SELECT event FROM consent_events WHERE expires <= ?');
    this.#delete = db.prepare('DELETE FROM consent_events WHERE id = ?');
  }

  write(events: readonly ConsentEvent[]): void {
    if (events.length > 0) this.#insert.immediate(events);
  }

  read(query: ConsentQuery): ConsentEvent[] {
    const filters: string[] = [];
    const params: unknown[] = [];
    if (query.visitorId !== undefined) {
      filters.push('visitor_id = ?');
      params.push(query.visitorId);
    }
    timeRange(query, filters, params);
    const where = filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : '';
    const limit = query.limit ?? -1;
    const rows = this.#db
      .prepare(`SELECT event FROM consent_events ${where} ORDER BY time, id LIMIT ?`)
      .all(...params, limit) as { event: string }[];
    return rows.map((row) => JSON.parse(row.event) as ConsentEvent);
  }

  /** Delete the events past their expiry that no hold covers; returns how many. */
  purge(now: Date, holds: readonly Hold[]): number {
    const rows = this.#expired.all(now.toISOString()) as { event: string }[];
    let deleted = 0;
    for (const row of rows) {
      const event = JSON.parse(row.event) as ConsentEvent;
      if (isConsentHeld(event, holds)) continue;
      deleted += this.#delete.run(event.id).changes;
    }
    return deleted;
  }
}

/** The SQL filters of a time range on a `time` column (from inclusive, to exclusive). */
export function timeRange(
  range: { from?: Date | undefined; to?: Date | undefined },
  filters: string[],
  params: unknown[],
): void {
  if (range.from !== undefined) {
    filters.push('time >= ?');
    params.push(range.from.toISOString());
  }
  if (range.to !== undefined) {
    filters.push('time < ?');
    params.push(range.to.toISOString());
  }
}
