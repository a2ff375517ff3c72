import { describe, expect, it } from 'vitest';
import { writeJsonBatch } from '../../src/stores/json-batches.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { makeRecord } from '../helpers/records.js';

// In worker mode a MemoryStore on the serving thread takes its batches as JSON text and parses
// them only when read; every way of reading or changing the records must see them, in order.
const NOW = new Date().toISOString();

describe('MemoryStore batches as JSON text', () => {
  it('keeps write order across object and text batches; the first write of an id wins', async () => {
    const store = new MemoryStore();
    const [a, b, c] = [makeRecord(), makeRecord(), makeRecord()];
    await store.write([a!]);
    store[writeJsonBatch](JSON.stringify([b, { ...a!, policy: 'later@2' }]));
    await store.write([c!]);
    expect(store.records.map((r) => r.id)).toEqual([a!.id, b!.id, c!.id]);
    expect(store.records[0]!.policy).toBe(a!.policy);
    expect(store.records[1]).toEqual(b);
  });

  it('read, erase, hold and purge see records that are still text', async () => {
    const visitor = 'visitor-json-1';
    const mine = makeRecord({ nonessential: { visitorId: visitor } });
    const other = makeRecord();
    const read = new MemoryStore();
    read[writeJsonBatch](JSON.stringify([mine, other]));
    const seen: string[] = [];
    for await (const record of read.read()) seen.push(record.id);
    expect(seen).toEqual([mine.id, other.id]);

    const erase = new MemoryStore();
    erase[writeJsonBatch](JSON.stringify([mine, other]));
    expect(await erase.erase({ visitorId: visitor })).toEqual({ erased: 1, held: 0 });
    expect(erase.records.map((r) => r.id)).toEqual([other.id]);

    const hold = new MemoryStore();
    hold[writeJsonBatch](JSON.stringify([mine, other]));
    const scope = { subject: { visitorId: visitor } };
    expect(
      await hold.hold({ id: 'h1', reason: 'test', createdAt: NOW, reviewAt: NOW, scope }),
    ).toBe(1);

    const purge = new MemoryStore();
    purge[writeJsonBatch](JSON.stringify([mine]));
    const result = await purge.purge(new Date('2100-01-01T00:00:00Z'));
    expect(result.deleted).toBe(1);
    expect(purge.records).toEqual([]);
  });

  it('clear() drops text batches not yet read', () => {
    const store = new MemoryStore();
    store[writeJsonBatch](JSON.stringify([makeRecord()]));
    store.clear();
    expect(store.records).toEqual([]);
  });
});
