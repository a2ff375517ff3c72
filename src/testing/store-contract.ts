/**
 * The store contract: one suite of behaviour every {@link Store} must show, independent of any test
 * runner. Each built-in store runs it, and a plugin author runs it on theirs in a few lines:
 *
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * import { storeContract } from 'express-privacy-log/testing';
 * import { MyStore } from '../src/my-store.js';
 *
 * storeContract('MyStore', () => new MyStore({ url: process.env.MY_URL }), { describe, it, expect });
 * ```
 */
import type { AccessRecord } from '../record.js';
import { matchesQuery } from '../stores/retention.js';
import type { ReadQuery, Store } from '../stores/store.js';
import { consentTests } from './contract-consents.js';
import { holdTests } from './contract-holds.js';
import { inStoreOrder, readAll } from './contract-records.js';
import { retentionTests } from './contract-retention.js';
import { writeReadTests } from './contract-write-read.js';

/** The assertions the contract uses: `toEqual` (deep) and `toBe` (identity), as jest and vitest have. */
export type ContractExpect = (actual: unknown) => {
  toEqual(expected: unknown): unknown;
  toBe(expected: unknown): unknown;
};

/** A test runner's `it`: registers a test. */
export interface ContractIt {
  (name: string, body: () => Promise<void>): unknown;
  /**
   * Registers a test that is reported as skipped (`it.skip` in vitest, jest, mocha and node:test).
   * The contract uses it for a test it cannot run, with the reason in the test's name; without
   * it, such a test fails instead, so that it is never reported as passed.
   */
  skip?: (name: string, body: () => Promise<void>) => unknown;
}

/** The runner functions the contract registers its suites and tests with. */
export interface ContractRunner {
  describe(name: string, body: () => void): unknown;
  it: ContractIt;
  expect: ContractExpect;
}

/** Options of {@link storeContract}. */
export interface StoreContractOptions<S extends Store> {
  /**
   * Called after each test, once the store is closed, to remove what it left behind (tables, keys,
   * files). Default: nothing.
   */
  cleanup?: (store: S) => unknown;
  /**
   * `'time'` (default): `read` yields oldest first, by `time` then `id`, as the {@link Store}
   * interface asks. `'write'`: the store yields in write order (an append-only log); ordering tests
   * then write in time order, so they still check what such a store can promise.
   */
  readOrder?: 'time' | 'write';
  /** Records in the concurrency test (written in overlapping batches). Default 600. */
  concurrentRecords?: number;
  /**
   * Every record the store holds now, duplicates included, in any order: how the contract sees
   * what a store without `read` stored (for instance by reading the file, table or stream it
   * wrote to), or what a store with `read` really holds beyond what `read` shows. Without it and
   * without `read`, the tests of idempotency by id cannot run: they are skipped with the reason
   * in their name (or fail, when the runner has no `it.skip`), never passed.
   */
  inspect?: (
    store: S,
  ) =>
    | Iterable<AccessRecord>
    | AsyncIterable<AccessRecord>
    | Promise<Iterable<AccessRecord> | AsyncIterable<AccessRecord>>;
}

/** What a store can do, derived from the methods it has. */
export interface StoreCapabilities {
  read: boolean;
  purge: boolean;
  erase: boolean;
  holds: boolean;
  /** A consent ledger: `writeConsents` and `readConsents`. */
  consents: boolean;
  init: boolean;
  close: boolean;
}

/** Which optional members a store has; a store that only has some hold methods has no holds. */
export function capabilitiesOf(store: Store): StoreCapabilities {
  const has = (key: keyof Store): boolean => typeof store[key] === 'function';
  return {
    read: has('read'),
    purge: has('purge'),
    erase: has('erase'),
    holds: has('hold') && has('release') && has('holds'),
    consents: has('writeConsents') && has('readConsents'),
    init: has('init'),
    close: has('close'),
  };
}

/** What the groups of tests share; each `test` gets a fresh, initialised store. */
export interface ContractContext<S extends Store> {
  readonly runner: ContractRunner;
  readonly expect: ContractExpect;
  readonly capabilities: StoreCapabilities;
  readonly options: StoreContractOptions<S>;
  /** Whether the contract can see what a store holds: through `inspect`, else through `read`. */
  readonly canSee: boolean;
  /**
   * The records the store holds that match `query`: from `inspect` (filtered, in time-then-id
   * order) when given, else from `read`. Only call it when {@link canSee} is true.
   */
  stored(store: S, query?: ReadQuery): Promise<AccessRecord[]>;
  /** Register a test that runs `body` on a fresh store, then closes and cleans it up. */
  test(name: string, body: (store: S) => Promise<void>): void;
  /**
   * Register a test whose point is what the store holds. When the contract cannot see that, it
   * is registered as skipped with the reason in its name, or as failing if the runner cannot skip.
   */
  testStored(name: string, body: (store: S) => Promise<void>): void;
  /** A fresh store with `init()` awaited; closed and cleaned up when the current test ends. */
  open(): Promise<S>;
}

/** Why a test about what a store holds could not run. */
const BLIND = 'not checked: the store has no read() and no inspect option was given';

/**
 * Register the store contract as a suite named `store contract: <name>`.
 *
 * `makeStore` is called for every test (and once up front, to see which methods the store has), so
 * it must return a new, independent store each time, synchronously and without I/O: connecting and
 * creating the schema belong in `init()`, which the contract awaits. Give each store its own
 * table, key prefix or file. Which tests run follows from the store's methods: `write` always;
 * `read`, `purge`, `erase`, `hold`/`release`/`holds`, and the consent ledger
 * (`writeConsents`/`readConsents`) when present. The tests of idempotency by
 * id need to see what the store holds: through `read`, or through the `inspect` option.
 *
 * What a store must do to pass, beyond the {@link Store} documentation:
 * - A call that fails (throws or rejects) may be retried by the caller: a failed `write` may have
 *   stored part of its batch, and repeating it must not store a record twice.
 * - Once `write` resolves, its records are visible to `read`, `purge` and `erase` on the same
 *   store object.
 * - Records come back from `read` as they were written (deep-equal), minus what retention removed.
 */
export function storeContract<S extends Store>(
  name: string,
  makeStore: () => S,
  runner: ContractRunner,
  options: StoreContractOptions<S> = {},
): void {
  const capabilities = capabilitiesOf(makeStore());
  const live = new Set<S>();

  const open = async (): Promise<S> => {
    const store = makeStore();
    live.add(store);
    await store.init?.();
    return store;
  };

  const finish = async (): Promise<void> => {
    const stores = [...live];
    live.clear();
    for (const store of stores) {
      await store.close?.();
      await options.cleanup?.(store);
    }
  };

  const { inspect } = options;
  const context: ContractContext<S> = {
    runner,
    expect: runner.expect,
    capabilities,
    options,
    open,
    canSee: inspect !== undefined || capabilities.read,
    async stored(store, query = {}) {
      if (inspect === undefined) return readAll(store, query);
      const all: AccessRecord[] = [];
      for await (const record of await inspect(store)) all.push(record);
      const matching = inStoreOrder(all.filter((record) => matchesQuery(record, query)));
      return query.limit === undefined ? matching : matching.slice(0, Math.max(0, query.limit));
    },
    test(testName, body) {
      runner.it(testName, async () => {
        try {
          await body(await open());
        } finally {
          await finish();
        }
      });
    },
    testStored(testName, body) {
      if (context.canSee) {
        context.test(testName, body);
        return;
      }
      const label = `${testName} (${BLIND})`;
      if (typeof runner.it.skip === 'function') {
        runner.it.skip(label, async () => {});
        return;
      }
      runner.it(label, async () => {
        throw new Error(
          `${name}: ${BLIND}; pass { inspect: (store) => records } to storeContract so that ` +
            'this can be checked',
        );
      });
    },
  };

  runner.describe(`store contract: ${name}`, () => {
    const present = Object.entries(capabilities)
      .filter(([, has]) => has)
      .map(([member]) => member);
    context.test(`has write${present.map((member) => `, ${member}`).join('')}`, async (store) => {
      runner.expect(typeof store.write).toBe('function');
    });
    lifecycleTests(context);
    writeReadTests(context);
    if (capabilities.purge || capabilities.erase) retentionTests(context);
    if (capabilities.holds) holdTests(context);
    if (capabilities.consents) consentTests(context);
  });
}

function lifecycleTests<S extends Store>(context: ContractContext<S>): void {
  const { runner, expect, capabilities } = context;
  runner.describe('init and close', () => {
    if (capabilities.init) {
      context.test('init() may be called again while open', async (store) => {
        await store.init?.();
        await store.write([]);
      });
    }
    if (capabilities.close) {
      context.test('close() may be called twice', async (store) => {
        await store.close?.();
        await store.close?.();
        expect(true).toBe(true);
      });
    }
    context.test('write([]) stores nothing and succeeds', async (store) => {
      await store.write([]);
      if (context.canSee) expect(await context.stored(store)).toEqual([]);
    });
  });
}

export { contractConsent } from './contract-consents.js';
export {
  CONTRACT_BASE_TIME,
  type ContractRecordOverrides,
  contractId,
  contractRecord,
  contractRecords,
  daysAfter,
  eraseCounts,
  inStoreOrder,
  purgeCounts,
  readAll,
} from './contract-records.js';
export { withRetries } from './with-retries.js';
