import { definePolicy, presets, privacyLog } from '../../src/index.js';
import type { PrivacyLogMiddleware } from '../../src/middleware.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';
import { DAY, SET_START, trafficSet } from './traffic-set.js';

/** A logger over generated traffic, with a page seen three times (below k) among it. */
export async function trafficLogger(): Promise<PrivacyLogMiddleware> {
  const records = trafficSet(3_000, 10, 400, 31);
  for (const record of records.slice(10, 13)) {
    Object.assign(record.essential, {
      bot: false,
      method: 'GET',
      status: 200,
      route: '/only-three',
    });
  }
  const store = new MemoryStore();
  await store.write(records);
  const log = privacyLog({
    policy: definePolicy({ ...presets.classic, aggregates: { k: 10 } }),
    store,
    secret: SECRET,
    logger: spyLogger(),
    retention: { enabled: false },
    handleSignals: false,
  });
  return log;
}

export const RANGE = `?from=${new Date(SET_START).toISOString().slice(0, 10)}&to=${new Date(SET_START + 9 * DAY).toISOString().slice(0, 10)}`;
