import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { NdjsonStore } from '../../src/stores/ndjson/store.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { capabilitiesOf, storeContract, withRetries } from '../../src/testing/store-contract.js';
import { OddStore } from './odd-store.js';

const dir = mkdtempSync(join(tmpdir(), 'epl-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

storeContract('MemoryStore', () => new MemoryStore(), { describe, it, expect });

storeContract('SqliteStore', () => new SqliteStore({ path: join(dir, `s${++files}.sqlite`) }), {
  describe,
  it,
  expect,
});

storeContract(
  'NdjsonStore (file)',
  () => new NdjsonStore({ destination: join(dir, `n${++files}.ndjson`) }),
  { describe, it, expect },
  { readOrder: 'write' },
);

/** What each stream-backed store has written, so the contract can see duplicates without read. */
const streamed = new WeakMap<NdjsonStore, string[]>();

storeContract(
  'NdjsonStore (stream)',
  () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const store = new NdjsonStore({ destination: stream });
    streamed.set(store, chunks);
    return store;
  },
  { describe, it, expect },
  {
    inspect: (store) =>
      (streamed.get(store) ?? [])
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as AccessRecord),
  },
);

// Fails every 7th call: each call is repeated up to three times, as the dispatcher does for writes.
storeContract('an odd custom store, retried', () => withRetries(new OddStore(7, 5), 3), {
  describe,
  it,
  expect,
});

describe('capabilities', () => {
  it('follow from the methods a store has', () => {
    expect(capabilitiesOf(new MemoryStore())).toEqual({
      read: true,
      purge: true,
      erase: true,
      holds: typeof (new MemoryStore() as { hold?: unknown }).hold === 'function',
      consents: true,
      init: false,
      close: false,
    });
    expect(capabilitiesOf({ write() {} })).toEqual({
      read: false,
      purge: false,
      erase: false,
      holds: false,
      consents: false,
      init: false,
      close: false,
    });
    // Half a ledger is none: a store that keeps events must also give them back.
    expect(capabilitiesOf({ write() {}, writeConsents() {} }).consents).toBe(false);
  });

  it('the odd store does fail on its own, so the wrapper is what makes it pass', async () => {
    const odd = new OddStore(2, 1);
    odd.write([]);
    expect(() => odd.write([])).toThrow(/failed/);
  });

  it('withRetries repeats a failed call up to its attempts, then lets the failure through', async () => {
    let calls = 0;
    const flaky = {
      write() {
        calls++;
        throw new Error('down');
      },
    };
    await expect(withRetries(flaky, 3).write([])).rejects.toThrow('down');
    expect(calls).toBe(3);
    expect(capabilitiesOf(withRetries(flaky, 3)).read).toBe(false);
  });
});
