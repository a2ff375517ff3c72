/**
 * VACUUM after a deletion. A `DELETE` or an `UPDATE` leaves the old row version in its page, dead
 * but readable from the data files, until a VACUUM prunes it (and the index entries that point to
 * it). Erasures and purges run one on the tables they changed, once the change is committed, so
 * that this does not wait for autovacuum. It cannot prune a row that a transaction older than the
 * deletion may still see, and it does not zero the freed space: docs/stores.md says what remains.
 */

import type { PurgeResult } from '../store.js';
import type { Query } from './session.js';

/**
 * VACUUM each table (a name as `regclass` text, quoted where needed) on a connection outside any
 * transaction. A failure is a warning, never a thrown error: the deletion is committed by then,
 * and autovacuum does the same work later.
 */
export async function vacuumTables(
  query: Query,
  tables: readonly string[],
  storeName: string,
): Promise<void> {
  try {
    // VACUUM cannot run in a transaction block; each table is its own statement.
    for (const table of tables) await query(`VACUUM ${table}`);
  } catch (error) {
    vacuumFailed(storeName, error);
  }
}

/** Report a VACUUM that failed or could not start. */
export function vacuumFailed(storeName: string, error: unknown): void {
  process.emitWarning(
    `${storeName}: VACUUM after a deletion failed (autovacuum will do it later): ${(error as Error).message}`,
  );
}

/** Rows a purge deleted or rewrote so far (stripping a category rewrites its row). */
export function removedRows(result: PurgeResult): number {
  return result.deleted + Object.values(result.removed).reduce((sum, n) => sum + (n ?? 0), 0);
}
