import type { AccessRecord } from '../record.js';
import type { Store } from '../stores/store.js';
import {
  CONTRACT_BASE_TIME,
  contractRecord,
  contractRecords,
  inStoreOrder,
  readAll,
} from './contract-records.js';
import type { ContractContext } from './store-contract.js';

/** A record that exercises what serialisation tends to get wrong. */
function awkwardRecord(n: number): AccessRecord {
  return contractRecord(n, {
    essential: {
      method: 'POST',
      path: '/caf\u00e9/\u{1f600}/\u2028line\u2029/\u0085nel/"quoted"\\back\ttab',
      status: 503,
      durationMs: 0.125,
      aborted: true,
      host: 'example.com',
    },
    client: undefined,
    optional: { email: 'Ada@Example.org', note: 'x'.repeat(2000), empty: '' },
    security: { reasons: ['sqli', 'path traversal'], hold: false, prev: 'abc', hash: 'def' },
    expires: {
      essential: '2025-04-01T00:00:00.000Z',
      nonessential: '2025-03-01T00:00:00.000Z',
      optional: '2025-02-01T00:00:00.000Z',
      security: '2025-04-01T00:00:00.000Z',
    },
  });
}

/**
 * Write, idempotency (seen through `read` or the `inspect` option), concurrency and (when the
 * store reads) read by subject, time and limit.
 */
export function writeReadTests<S extends Store>(context: ContractContext<S>): void {
  const { runner, expect, capabilities, options } = context;
  const byTime = (options.readOrder ?? 'time') === 'time';
  /** What a read should yield for records written in the given order. */
  const ordered = (records: readonly AccessRecord[]): AccessRecord[] =>
    byTime ? inStoreOrder(records) : [...records];

  runner.describe('write', () => {
    context.test('a batch resolves once stored', async (store) => {
      const records = contractRecords(0, 25);
      await store.write(records);
      if (context.canSee) expect(await context.stored(store)).toEqual(records);
    });

    context.testStored(
      'a record writes twice, in one batch or two, is stored once',
      async (store) => {
        const records = contractRecords(0, 10);
        await store.write(records);
        await store.write(records);
        await store.write([records[3]!, records[3]!, contractRecord(10)]);
        expect(await context.stored(store)).toEqual([...records, contractRecord(10)]);
      },
    );

    context.testStored('the first write of an id wins over a later one', async (store) => {
      const first = contractRecord(1);
      const second = contractRecord(1, { policy: 'changed@2' });
      await store.write([first]);
      await store.write([second]);
      expect(await context.stored(store)).toEqual([first]);
    });

    context.testStored(
      'overlapping batches written at once store each record once',
      async (store) => {
        const total = options.concurrentRecords ?? 600;
        const records = contractRecords(0, total);
        const size = Math.max(2, Math.floor(total / 6));
        const step = Math.max(1, Math.floor(size / 2));
        const batches: AccessRecord[][] = [];
        for (let start = 0; start < total; start += step) {
          batches.push(records.slice(start, start + size));
        }
        // Each batch twice, all at once, in an order where neighbours collide.
        await Promise.all([...batches, ...batches.reverse()].map((batch) => store.write(batch)));
        const stored = await context.stored(store);
        expect(stored.length).toBe(total);
        expect(new Set(stored.map((record) => record.id)).size).toBe(total);
      },
    );

    if (capabilities.read) {
      context.test('records come back as written, characters and numbers intact', async (store) => {
        const records = [awkwardRecord(1), contractRecord(2, { nonessential: undefined })];
        records[1]!.expires = { essential: records[1]!.expires.essential! };
        await store.write(records);
        const stored = await readAll(store);
        expect(stored).toEqual(records);
        // An absent category stays absent rather than coming back empty.
        expect('client' in stored[0]!).toBe(false);
        expect('nonessential' in stored[1]!).toBe(false);
      });

      context.test('a batch of 2,000 records in one write', async (store) => {
        const records = contractRecords(0, 2000);
        await store.write(records);
        const stored = await readAll(store);
        expect(stored.length).toBe(2000);
        expect(stored[1999]).toEqual(records[1999]);
      });
    }
  });

  if (!capabilities.read) return;

  runner.describe('read', () => {
    if (byTime) {
      context.test(
        'yields oldest first, by time then id, whatever the write order',
        async (store) => {
          const sameTime = new Date(CONTRACT_BASE_TIME).toISOString();
          const records = [
            contractRecord(5),
            contractRecord(3, { time: sameTime }),
            contractRecord(1),
            contractRecord(2, { time: sameTime }),
            contractRecord(4),
          ];
          await store.write(records.slice(0, 2));
          await store.write(records.slice(2));
          expect(await readAll(store)).toEqual(inStoreOrder(records));
        },
      );
    }

    context.test('by visitor id', async (store) => {
      const records = contractRecords(0, 6);
      records[4] = contractRecord(4, { nonessential: { visitorId: 'v-1' } });
      await store.write(records);
      expect(await readAll(store, { subject: { visitorId: 'v-1' } })).toEqual(
        ordered([records[1]!, records[4]!]),
      );
      expect(await readAll(store, { subject: { visitorId: 'nobody' } })).toEqual([]);
      expect(await readAll(store, { subject: { visitorId: '' } })).toEqual([]);
    });

    context.test('by e-mail, trimmed and case-insensitive', async (store) => {
      const records = [
        contractRecord(1, { optional: { email: 'Ada@Example.org' } }),
        contractRecord(2, { optional: { email: 'ada@example.org' } }),
        contractRecord(3, { optional: { email: 'grace@example.org' } }),
        contractRecord(4),
      ];
      await store.write(records);
      expect(await readAll(store, { subject: { email: ' ADA@example.ORG ' } })).toEqual(
        ordered(records.slice(0, 2)),
      );
      expect(await readAll(store, { subject: { email: '' } })).toEqual([]);
    });

    context.test('by time range: from inclusive, to exclusive', async (store) => {
      const records = contractRecords(0, 10);
      await store.write(records);
      const at = (n: number): Date => new Date(CONTRACT_BASE_TIME + n * 1000);
      expect(await readAll(store, { from: at(3), to: at(6) })).toEqual(records.slice(3, 6));
      expect(await readAll(store, { from: at(8) })).toEqual(records.slice(8));
      expect(await readAll(store, { to: at(2) })).toEqual(records.slice(0, 2));
      expect(await readAll(store, { from: at(5), to: at(5) })).toEqual([]);
    });

    context.test('at most limit records, the first ones', async (store) => {
      const records = contractRecords(0, 1200);
      await store.write(records);
      expect(await readAll(store, { limit: 3 })).toEqual(records.slice(0, 3));
      expect(await readAll(store, { limit: 0 })).toEqual([]);
      expect((await readAll(store, { limit: 1100 })).length).toBe(1100);
    });

    context.test('subject, range and limit together', async (store) => {
      const records = contractRecords(0, 12).map((record, n) =>
        n % 2 === 0 ? contractRecord(n, { nonessential: { visitorId: 'even' } }) : record,
      );
      await store.write(records);
      const result = await readAll(store, {
        subject: { visitorId: 'even' },
        from: new Date(CONTRACT_BASE_TIME + 3000),
        limit: 3,
      });
      expect(result).toEqual([records[4], records[6], records[8]]);
    });
  });
}
