import type { Hold, HoldScope, Store } from '../stores/store.js';
import {
  CONTRACT_BASE_TIME,
  contractRecord,
  contractRecords,
  eraseCounts,
  purgeCounts,
} from './contract-records.js';
import type { ContractContext } from './store-contract.js';

/** After every record's essential expiry: a purge then deletes everything not held. */
const END = new Date('2026-01-01T00:00:00.000Z');

function makeHold(id: string, scope: HoldScope): Hold {
  return {
    id,
    reason: `case ${id}`,
    scope,
    createdAt: '2025-01-02T00:00:00.000Z',
    reviewAt: '2025-07-01T00:00:00.000Z',
  };
}

const at = (n: number): string => new Date(CONTRACT_BASE_TIME + n * 1000).toISOString();

/** Legal holds: placed, listed, honoured by purge and erase, released. */
export function holdTests<S extends Store>(context: ContractContext<S>): void {
  const { runner, expect, capabilities } = context;
  const ids = async (store: S): Promise<string[]> =>
    (await context.stored(store)).map((record) => record.id);

  runner.describe('holds', () => {
    context.test(
      'a subject hold keeps its records from erase and purge until released',
      async (store) => {
        const mine = [1, 3, 5].map((n) => contractRecord(n, { nonessential: { visitorId: 'me' } }));
        const other = contractRecord(2);
        await store.write([...mine, other]);
        const hold = makeHold('case-1', { subject: { visitorId: 'me' } });
        expect(await store.hold!(hold)).toBe(3);
        expect(await store.holds!()).toEqual([hold]);

        if (capabilities.erase) {
          const erased = eraseCounts(await store.erase!({ visitorId: 'me' }));
          expect(erased.erased).toBe(0);
          if (erased.reportsHeld) expect(erased.held).toBe(3);
        }
        if (capabilities.purge) {
          expect(purgeCounts(await store.purge!(END)).deleted).toBe(1);
          if (context.canSee) expect(await ids(store)).toEqual(mine.map((r) => r.id));
        }

        expect(await store.release!('case-1')).toBe(true);
        expect(await store.release!('case-1')).toBe(false);
        expect(await store.holds!()).toEqual([]);
        if (capabilities.erase) {
          expect(eraseCounts(await store.erase!({ visitorId: 'me' })).erased).toBe(3);
        }
      },
    );

    if (capabilities.purge) {
      context.test('a time-range hold covers from (inclusive) to to (exclusive)', async (store) => {
        const records = contractRecords(0, 8);
        await store.write(records);
        expect(await store.hold!(makeHold('range', { from: at(2), to: at(5) }))).toBe(3);
        expect(purgeCounts(await store.purge!(END)).deleted).toBe(5);
        if (context.canSee) {
          expect(await ids(store)).toEqual(records.slice(2, 5).map((r) => r.id));
        }
      });

      context.test('an id hold covers exactly those records', async (store) => {
        const records = contractRecords(0, 5);
        await store.write(records);
        const scope = { ids: [records[1]!.id, records[3]!.id, 'unknown-id'] };
        expect(await store.hold!(makeHold('ids', scope))).toBe(2);
        expect(purgeCounts(await store.purge!(END)).deleted).toBe(3);
        if (context.canSee) expect(await ids(store)).toEqual([records[1]!.id, records[3]!.id]);
      });

      context.test('records written later that fall in the scope are held too', async (store) => {
        expect(await store.hold!(makeHold('later', { subject: { visitorId: 'late' } }))).toBe(0);
        const record = contractRecord(7, { nonessential: { visitorId: 'late' } });
        await store.write([record, contractRecord(8)]);
        expect(purgeCounts(await store.purge!(END)).deleted).toBe(1);
        if (context.canSee) expect(await ids(store)).toEqual([record.id]);
      });

      context.test('a record under two holds stays held until both are released', async (store) => {
        const records = contractRecords(0, 3);
        await store.write(records);
        await store.hold!(makeHold('a', { ids: [records[0]!.id] }));
        await store.hold!(makeHold('b', { from: at(0), to: at(1) }));
        expect(await store.release!('a')).toBe(true);
        expect(purgeCounts(await store.purge!(END)).deleted).toBe(2);
        expect(await store.release!('b')).toBe(true);
        expect(purgeCounts(await store.purge!(END)).deleted).toBe(1);
      });
    }

    context.test(
      'placing a hold with the same id replaces it but keeps createdAt',
      async (store) => {
        await store.write(contractRecords(0, 4));
        const first = makeHold('case', { ids: [contractRecord(0).id] });
        await store.hold!(first);
        const replaced = {
          ...makeHold('case', { from: at(1) }),
          reason: 'widened',
          createdAt: '2025-03-01T00:00:00.000Z',
        };
        expect(await store.hold!(replaced)).toBe(3);
        expect(await store.holds!()).toEqual([{ ...replaced, createdAt: first.createdAt }]);
      },
    );

    context.test('holds() lists holds by createdAt, then id', async (store) => {
      const late = { ...makeHold('a-late', {}), createdAt: '2025-02-01T00:00:00.000Z' };
      const early = { ...makeHold('z-early', {}), createdAt: '2025-01-01T00:00:00.000Z' };
      const tie = { ...makeHold('b-tie', {}), createdAt: '2025-02-01T00:00:00.000Z' };
      for (const hold of [late, early, tie]) await store.hold!(hold);
      expect(await store.holds!()).toEqual([early, late, tie]);
    });
  });
}
