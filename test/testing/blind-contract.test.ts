import { describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import type { Store } from '../../src/stores/store.js';
import { storeContract } from '../../src/testing/store-contract.js';
import { type Outcome, recordingRunner } from './recording-runner.js';

/** A broken store without `read`: every record it is given is kept, duplicates included. */
class DuplicatingStore implements Store {
  readonly name = 'DuplicatingStore';
  readonly kept: AccessRecord[] = [];

  write(records: readonly AccessRecord[]): void {
    this.kept.push(...structuredClone(records));
  }
}

/** A correct store without `read`: the first record with an id wins. */
class DedupingStore implements Store {
  readonly name = 'DedupingStore';
  readonly kept = new Map<string, AccessRecord>();

  write(records: readonly AccessRecord[]): void {
    for (const record of records) {
      if (!this.kept.has(record.id)) this.kept.set(record.id, structuredClone(record));
    }
  }
}

/** The tests whose point is that a record written twice is stored once. */
const IDEMPOTENCY = [
  'a record writes twice, in one batch or two, is stored once',
  'the first write of an id wins over a later one',
  'overlapping batches written at once store each record once',
];

function idempotencyOutcomes(outcomes: Outcome[]): Outcome[] {
  return outcomes.filter((outcome) => IDEMPOTENCY.some((name) => outcome.name.includes(name)));
}

describe('the store contract on a store it cannot read', () => {
  it('skips the idempotency tests, saying why, instead of passing them', async () => {
    const { runner, run } = recordingRunner({ skip: true });
    storeContract('duplicating', () => new DuplicatingStore(), runner);
    const found = idempotencyOutcomes(await run());
    expect(found).toHaveLength(IDEMPOTENCY.length);
    for (const outcome of found) {
      expect(outcome.status).toBe('skipped');
      expect(outcome.name).toMatch(/not checked: the store has no read\(\) and no inspect option/);
    }
  });

  it('fails them when the runner cannot skip a test', async () => {
    const { runner, run } = recordingRunner({ skip: false });
    storeContract('duplicating', () => new DuplicatingStore(), runner);
    const found = idempotencyOutcomes(await run());
    expect(found.map((outcome) => outcome.status)).toEqual(IDEMPOTENCY.map(() => 'failed'));
    expect(String(found[0]!.error)).toMatch(/inspect/);
  });

  it('fails a duplicating store when given a way to inspect what it holds', async () => {
    const { runner, run } = recordingRunner({ skip: true });
    storeContract('duplicating', () => new DuplicatingStore(), runner, {
      inspect: (store) => store.kept,
    });
    const outcomes = await run();
    const found = idempotencyOutcomes(outcomes);
    expect(found.map((outcome) => outcome.status)).toEqual(IDEMPOTENCY.map(() => 'failed'));
    expect(outcomes.filter((outcome) => outcome.status === 'skipped')).toEqual([]);
  });

  it('passes a correct store without read when given a way to inspect what it holds', async () => {
    const { runner, run } = recordingRunner({ skip: true });
    storeContract('deduping', () => new DedupingStore(), runner, {
      inspect: (store) => store.kept.values(),
    });
    const outcomes = await run();
    expect(outcomes.filter((outcome) => outcome.status !== 'passed')).toEqual([]);
    expect(idempotencyOutcomes(outcomes)).toHaveLength(IDEMPOTENCY.length);
  });
});
