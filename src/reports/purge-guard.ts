import type { Store } from '../stores/store.js';
import { rollupsFor } from './reports-api.js';
import { updateRollups } from './runner.js';

/**
 * For retention run outside a logger (the command line): roll the store's records up, then return
 * the time retention may apply up to, which is `now` or the rollup watermark when that is earlier,
 * so no record expires before it is rolled up. A store that keeps no rollups purges at `now`.
 * Rejects when the rollups fail: then nothing may be purged.
 */
export async function rollUpBeforePurge(store: Store, now: Date): Promise<Date> {
  const rollups = store.read === undefined ? undefined : rollupsFor(store);
  if (rollups === undefined) return now;
  await rollups.init?.();
  try {
    const run = await updateRollups(store, rollups, { now });
    if (run.watermark === undefined) return run.skipped ? new Date(0) : now;
    return new Date(Math.min(now.getTime(), Date.parse(run.watermark)));
  } finally {
    await rollups.close?.();
  }
}
