import type { AccessRecord } from '../../src/record.js';
import {
  CONTRACT_BASE_TIME,
  type ContractRecordOverrides,
  contractId,
  contractRecord,
  daysAfter,
} from '../../src/testing/contract-records.js';

// The unit tests build on the contract suite's public record builder, so both agree on what a
// valid record looks like.

/** Overrides for {@link makeRecord}; a key set to `undefined` removes that property. */
export type RecordOverrides = ContractRecordOverrides;

/** The time of the first record {@link makeRecord} builds; later ones are a second apart. */
export const BASE_TIME = CONTRACT_BASE_TIME;

/** A UUIDv7-shaped id whose order follows `n`, so tests can predict the store's tie-break order. */
export const testId = contractId;

/** An ISO time `days` (may be fractional or negative) after `from` (ISO or epoch ms). */
export const isoAfter = daysAfter;

let counter = 0;

/**
 * A valid version-1 record with every category but `optional` and `security`: each call gets a
 * fresh id and a time one second after the previous record's. Default expiries, counted from its
 * time: client 7 days, nonessential 30 days, essential 90 days.
 */
export function makeRecord(overrides: RecordOverrides = {}): AccessRecord {
  counter++;
  const base = contractRecord(counter);
  return contractRecord(counter, {
    policy: 'test@1',
    essential: {
      ...base.essential,
      path: '/products/42',
      route: '/products/:id',
      durationMs: 3.5,
      bytes: 1234,
    },
    nonessential: { referrer: 'https://example.org', visitorId: `visitor-${counter}` },
    ...overrides,
  });
}
