import { describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import type { ReadQuery } from '../../src/stores/store.js';
import { makeRecord } from '../helpers/records.js';

const D1 = '2025-02-01T00:00:00.000Z';
const D2 = '2025-03-01T00:00:00.000Z';
const D3 = '2025-04-01T00:00:00.000Z';

async function collect(store: MemoryStore, query: ReadQuery = {}): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  for await (const record of store.read(query)) out.push(record);
  return out;
}

/** Two ordinary records and a held one, all with client at D1, nonessential at D2, essential at D3. */
function retentionFixture(): AccessRecord[] {
  const expires = { client: D1, nonessential: D2, essential: D3 };
  return [
    makeRecord({ expires }),
    makeRecord({ expires, security: { reasons: ['sqli'], hold: true } }),
    makeRecord({ expires: { client: D1, essential: D2 } }),
  ];
}

describe('MemoryStore', () => {
  it('has a default name and takes another', () => {
    expect(new MemoryStore().name).toBe('MemoryStore');
    expect(new MemoryStore({ name: 'demo' }).name).toBe('demo');
  });

  it('ignores a second write of the same id', async () => {
    const store = new MemoryStore();
    const record = makeRecord();
    await store.write([record]);
    await store.write([{ ...record, policy: 'other@2' }, record]);
    expect(store.records).toHaveLength(1);
    expect(store.records[0]?.policy).toBe('test@1');
  });

  it('stores copies, so later changes to the caller’s objects do not reach it', async () => {
    const store = new MemoryStore();
    const record = makeRecord();
    await store.write([record]);
    record.essential.path = '/changed';
    expect(store.records[0]?.essential.path).toBe('/products/42');
    const [read] = await collect(store);
    if (read === undefined) throw new Error('no record read');
    read.essential.status = 500;
    expect(store.records[0]?.essential.status).toBe(200);
  });

  describe('purge', () => {
    it('removes client at its expiry but keeps the record, and skips held records', async () => {
      const store = new MemoryStore();
      const [a, held, c] = retentionFixture();
      await store.write([a!, held!, c!]);
      const result = await store.purge(new Date(D1));
      expect(result).toEqual({
        removed: { client: 2, nonessential: 0, optional: 0, security: 0 },
        deleted: 0,
      });
      expect(store.records).toHaveLength(3);
      const kept = store.records.find((r) => r.id === a!.id);
      expect(kept).not.toHaveProperty('client');
      expect(kept?.expires).not.toHaveProperty('client');
      expect(kept?.nonessential).toEqual(a!.nonessential);
      expect(store.records.find((r) => r.id === held!.id)).toEqual(held);
    });

    it('is idempotent', async () => {
      const store = new MemoryStore();
      await store.write(retentionFixture());
      await store.purge(new Date(D1));
      const again = await store.purge(new Date(D1));
      expect(again).toEqual({
        removed: { client: 0, nonessential: 0, optional: 0, security: 0 },
        deleted: 0,
      });
    });

    it('deletes a record when essential expires, counting what else expired with it', async () => {
      const store = new MemoryStore();
      const [a, held, c] = retentionFixture();
      await store.write([a!, held!, c!]);
      expect(await store.purge(new Date(D2))).toEqual({
        removed: { client: 2, nonessential: 1, optional: 0, security: 0 },
        deleted: 1,
      });
      expect(store.records.map((r) => r.id)).toEqual([a!.id, held!.id]);
      expect(await store.purge(new Date(D3))).toEqual({
        removed: { client: 0, nonessential: 0, optional: 0, security: 0 },
        deleted: 1,
      });
      expect(store.records.map((r) => r.id)).toEqual([held!.id]);
    });

    it('accepts a write of a new record after a purge deleted others', async () => {
      const store = new MemoryStore();
      const [a] = retentionFixture();
      await store.write([a!]);
      await store.purge(new Date(D3));
      const fresh = makeRecord();
      await store.write([fresh, fresh]);
      expect(store.records.map((r) => r.id)).toEqual([fresh.id]);
    });
  });

  describe('read', () => {
    const alice = makeRecord({
      time: '2025-01-10T00:00:00.000Z',
      nonessential: { visitorId: 'alice' },
      optional: { email: 'Alice@Example.org' },
    });
    const bob = makeRecord({
      time: '2025-01-05T00:00:00.000Z',
      nonessential: { visitorId: 'bob' },
    });
    const alice2 = makeRecord({
      time: '2025-01-20T00:00:00.000Z',
      nonessential: { visitorId: 'alice' },
    });
    const anon = makeRecord({ time: '2025-01-15T00:00:00.000Z', nonessential: undefined });

    async function filled(): Promise<MemoryStore> {
      const store = new MemoryStore();
      await store.write([alice, bob, alice2, anon]);
      return store;
    }

    it('returns everything oldest first, whatever the write order', async () => {
      const ids = (await collect(await filled())).map((r) => r.id);
      expect(ids).toEqual([bob.id, alice.id, anon.id, alice2.id]);
    });

    it('breaks ties on time by id', async () => {
      const store = new MemoryStore();
      const time = '2025-01-01T00:00:00.000Z';
      await store.write([makeRecord({ time, id: 'b' }), makeRecord({ time, id: 'a' })]);
      expect((await collect(store)).map((r) => r.id)).toEqual(['a', 'b']);
    });

    it('filters by visitor id', async () => {
      const got = await collect(await filled(), { subject: { visitorId: 'alice' } });
      expect(got.map((r) => r.id)).toEqual([alice.id, alice2.id]);
    });

    it('filters by e-mail, case-insensitively', async () => {
      const got = await collect(await filled(), { subject: { email: ' ALICE@example.ORG' } });
      expect(got).toEqual([alice]);
    });

    it('filters by time range, from inclusive and to exclusive', async () => {
      const got = await collect(await filled(), {
        from: new Date(alice.time),
        to: new Date(alice2.time),
      });
      expect(got.map((r) => r.id)).toEqual([alice.id, anon.id]);
    });

    it('stops at the limit', async () => {
      const store = await filled();
      expect((await collect(store, { limit: 2 })).map((r) => r.id)).toEqual([bob.id, alice.id]);
      expect(await collect(store, { limit: 0 })).toEqual([]);
    });
  });

  describe('erase', () => {
    it('deletes the subject’s records and counts them; held ones survive and are counted', async () => {
      const store = new MemoryStore();
      const visitor = { visitorId: 'eve' };
      const mine = [makeRecord({ nonessential: visitor }), makeRecord({ nonessential: visitor })];
      const held = makeRecord({
        nonessential: visitor,
        security: { reasons: ['brute-force'], hold: true },
      });
      const other = makeRecord();
      await store.write([...mine, held, other]);
      expect(await store.erase(visitor)).toEqual({ erased: 2, held: 1 });
      expect(await collect(store, { subject: visitor })).toEqual([held]);
      expect(store.records.map((r) => r.id)).toEqual([held.id, other.id]);
      expect(await store.erase(visitor)).toEqual({ erased: 0, held: 1 });
    });

    it('erases by e-mail', async () => {
      const store = new MemoryStore();
      await store.write([makeRecord({ optional: { email: 'x@y.z' } }), makeRecord()]);
      expect(await store.erase({ email: 'X@Y.Z ' })).toEqual({ erased: 1, held: 0 });
      expect(await collect(store, { subject: { email: 'x@y.z' } })).toEqual([]);
      expect(store.records).toHaveLength(1);
    });
  });

  it('clear() forgets everything, ids included', async () => {
    const store = new MemoryStore();
    const record = makeRecord();
    await store.write([record]);
    store.clear();
    expect(store.records).toEqual([]);
    await store.write([record]);
    expect(store.records).toHaveLength(1);
  });
});
