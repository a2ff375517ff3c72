import type pg from 'pg';

/**
 * Watch an advisory lock taken as `(key, hashtext(name))` from outside, until `stop()`: resolves to
 * the most sessions that held it at once.
 */
export function watchAdvisoryLock(
  pool: pg.Pool,
  key: number,
  name: string,
): { stop(): Promise<number> } {
  let most = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND classid = $1::bigint::oid
            AND objid = (hashtext($2)::bigint & 4294967295)::oid`,
        [key, name],
      );
      most = Math.max(most, rows[0]!.n);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return {
    async stop() {
      watching = false;
      await watcher;
      return most;
    },
  };
}
