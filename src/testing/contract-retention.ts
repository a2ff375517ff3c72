import type { AccessRecord } from '../record.js';
import type { Store } from '../stores/store.js';
import { contractRecord, eraseCounts, purgeCounts } from './contract-records.js';
import type { ContractContext } from './store-contract.js';

const D1 = '2025-02-01T00:00:00.000Z';
const D2 = '2025-03-01T00:00:00.000Z';
const D3 = '2025-04-01T00:00:00.000Z';
const ZERO = { client: 0, nonessential: 0, optional: 0, security: 0 };

/**
 * Four records: `plain` and `held` with client at D1, nonessential at D2, essential at D3; `short`
 * whose essential category (and so the record) ends at D2; `forever` with no expiry for client.
 */
function fixture() {
  const expires = { client: D1, nonessential: D2, essential: D3 };
  const plain = contractRecord(1, {
    expires: { ...expires, optional: D1 },
    optional: { email: 'ada@example.org' },
  });
  const held = contractRecord(2, { expires, security: { reasons: ['sqli'], hold: true } });
  const short = contractRecord(3, { expires: { client: D1, nonessential: D1, essential: D2 } });
  const forever = contractRecord(4, { expires: { nonessential: D2, essential: D3 } });
  return { plain, held, short, forever, all: [plain, held, short, forever] };
}

/** `record` without the given categories and their expiries, as retention leaves it. */
function without(record: AccessRecord, ...categories: (keyof AccessRecord['expires'])[]) {
  const copy = structuredClone(record) as unknown as Record<string, unknown> & AccessRecord;
  for (const category of categories) {
    delete copy[category];
    delete copy.expires[category];
  }
  return copy;
}

/** Purge (retention per category) and erase (a subject's right to erasure). */
export function retentionTests<S extends Store>(context: ContractContext<S>): void {
  const { runner, expect, capabilities } = context;
  const byId = async (store: S, id: string) =>
    (await context.stored(store)).find((record) => record.id === id);

  if (capabilities.purge) {
    runner.describe('purge', () => {
      context.test('before anything expires it changes nothing', async (store) => {
        const { all } = fixture();
        await store.write(all);
        const result = await store.purge!(new Date('2025-01-15T00:00:00.000Z'));
        expect(purgeCounts(result)).toEqual({ removed: ZERO, deleted: 0 });
        if (context.canSee) expect((await context.stored(store)).length).toBe(4);
      });

      context.test('strips client first, at its expiry, and keeps the record', async (store) => {
        const { plain, held, short, forever, all } = fixture();
        await store.write(all);
        // An expiry equal to now has passed.
        const result = await store.purge!(new Date(D1));
        expect(purgeCounts(result)).toEqual({
          removed: { ...ZERO, client: 2, optional: 1, nonessential: 1 },
          deleted: 0,
        });
        if (!context.canSee) return;
        expect(await byId(store, plain.id)).toEqual(without(plain, 'client', 'optional'));
        expect(await byId(store, short.id)).toEqual(without(short, 'client', 'nonessential'));
        expect(await byId(store, forever.id)).toEqual(forever);
        expect(await byId(store, held.id)).toEqual(held);
      });

      context.test(
        'deletes a record at its essential expiry, counting what it had',
        async (store) => {
          const { plain, held, short, forever, all } = fixture();
          await store.write(all);
          const result = await store.purge!(new Date(D2));
          expect(purgeCounts(result)).toEqual({
            removed: { ...ZERO, client: 2, optional: 1, nonessential: 3 },
            deleted: 1,
          });
          if (context.canSee) {
            const ids = (await context.stored(store)).map((record) => record.id);
            expect(ids.includes(short.id)).toBe(false);
            expect(await byId(store, plain.id)).toEqual(
              without(plain, 'client', 'optional', 'nonessential'),
            );
            expect(await byId(store, forever.id)).toEqual(without(forever, 'nonessential'));
            expect(await byId(store, held.id)).toEqual(held);
          }
          const end = await store.purge!(new Date(D3));
          expect(purgeCounts(end).deleted).toBe(2);
          if (context.canSee) {
            expect((await context.stored(store)).map((record) => record.id)).toEqual([held.id]);
          }
        },
      );

      context.test('is idempotent: the same now again reports zeros', async (store) => {
        await store.write(fixture().all);
        await store.purge!(new Date(D2));
        const again = await store.purge!(new Date(D2));
        expect(purgeCounts(again)).toEqual({ removed: ZERO, deleted: 0 });
      });

      if (context.canSee) {
        context.test(
          'a stripped visitor id or e-mail no longer finds the record',
          async (store) => {
            const { plain } = fixture();
            await store.write([plain]);
            await store.purge!(new Date(D2));
            expect(await context.stored(store, { subject: { visitorId: 'v-1' } })).toEqual([]);
            expect(await context.stored(store, { subject: { email: 'ada@example.org' } })).toEqual(
              [],
            );
          },
        );

        context.test('an expiry that does not parse counts as passed', async (store) => {
          const record = contractRecord(1, {
            expires: { client: 'not a date', essential: D3 },
          });
          await store.write([record]);
          const result = await store.purge!(new Date(D1));
          expect(purgeCounts(result).removed.client).toBe(1);
          expect(await context.stored(store)).toEqual([without(record, 'client')]);
        });

        context.test('records written after a purge are purged by the next one', async (store) => {
          await store.purge!(new Date(D1));
          const { short } = fixture();
          await store.write([short]);
          expect(purgeCounts(await store.purge!(new Date(D2))).deleted).toBe(1);
          expect(await context.stored(store)).toEqual([]);
        });
      }
    });
  }

  if (capabilities.erase) {
    runner.describe('erase', () => {
      context.test('deletes every record of a visitor id and reports the count', async (store) => {
        const others = [contractRecord(1), contractRecord(3)];
        const mine = [2, 4, 6].map((n) => contractRecord(n, { nonessential: { visitorId: 'me' } }));
        await store.write([...others, ...mine]);
        const result = eraseCounts(await store.erase!({ visitorId: 'me' }));
        expect(result.erased).toBe(3);
        expect(result.held).toBe(0);
        if (context.canSee) {
          expect(await context.stored(store, { subject: { visitorId: 'me' } })).toEqual([]);
          expect(await context.stored(store)).toEqual(others);
        }
        expect(eraseCounts(await store.erase!({ visitorId: 'me' })).erased).toBe(0);
      });

      context.test('by e-mail, trimmed and case-insensitive', async (store) => {
        const records = [
          contractRecord(1, { optional: { email: 'Ada@Example.org' } }),
          contractRecord(2, { optional: { email: 'grace@example.org' } }),
        ];
        await store.write(records);
        expect(eraseCounts(await store.erase!({ email: ' ada@EXAMPLE.org' })).erased).toBe(1);
        if (context.canSee) expect(await context.stored(store)).toEqual([records[1]]);
      });

      context.test('by client address, in canonical form', async (store) => {
        const at = (n: number, ip: string) =>
          contractRecord(n, { client: { ...contractRecord(n).client, ip } });
        const mine = [at(1, '203.0.113.7'), at(3, '203.0.113.7')];
        const v6 = at(2, '2001:db8::1');
        const network = contractRecord(4);
        await store.write([...mine, v6, network]);
        if (context.canSee) {
          // A dual-stack socket reports an IPv4 client as ::ffff:203.0.113.7: the same address.
          expect(await context.stored(store, { subject: { ip: '::ffff:203.0.113.7' } })).toEqual(
            mine,
          );
        }
        expect(eraseCounts(await store.erase!({ ip: '203.0.113.7' })).erased).toBe(2);
        expect(eraseCounts(await store.erase!({ ip: '2001:DB8:0::1' })).erased).toBe(1);
        expect(eraseCounts(await store.erase!({ ip: 'not an address' })).erased).toBe(0);
        if (context.canSee) expect(await context.stored(store)).toEqual([network]);
      });

      context.test('a blank or unknown subject erases nothing', async (store) => {
        await store.write([contractRecord(1), contractRecord(2, { optional: { email: 'a@b.c' } })]);
        expect(eraseCounts(await store.erase!({ visitorId: '' })).erased).toBe(0);
        expect(eraseCounts(await store.erase!({ email: '  ' })).erased).toBe(0);
        expect(eraseCounts(await store.erase!({ visitorId: 'nobody' })).erased).toBe(0);
        if (context.canSee) expect((await context.stored(store)).length).toBe(2);
      });

      context.test('keeps a record under legal hold and says so', async (store) => {
        const held = contractRecord(1, {
          nonessential: { visitorId: 'me' },
          security: { reasons: ['xss'], hold: true },
        });
        const free = contractRecord(2, { nonessential: { visitorId: 'me' } });
        await store.write([held, free]);
        const result = eraseCounts(await store.erase!({ visitorId: 'me' }));
        expect(result.erased).toBe(1);
        if (result.reportsHeld) expect(result.held).toBe(1);
        if (context.canSee) expect(await context.stored(store)).toEqual([held]);
      });
    });
  }
}
