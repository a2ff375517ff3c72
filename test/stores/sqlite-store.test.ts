import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../src/stores/sqlite/store.js';
import type { ReadQuery } from '../../src/stores/store.js';
import { makeRecord } from '../helpers/records.js';

const D1 = '2025-02-01T00:00:00.000Z';
const D2 = '2025-03-01T00:00:00.000Z';
const D3 = '2025-04-01T00:00:00.000Z';
const ZEROS = { client: 0, nonessential: 0, optional: 0, security: 0 };

let dir: string;
const open: SqliteStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-sqlite-'));
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function fileStore(name = 'access.sqlite'): Promise<SqliteStore> {
  const store = new SqliteStore({ path: join(dir, name) });
  open.push(store);
  await store.init();
  return store;
}

async function memoryStore(): Promise<SqliteStore> {
  const store = new SqliteStore({ path: ':memory:' });
  open.push(store);
  await store.init();
  return store;
}

async function collect(store: SqliteStore, query: ReadQuery = {}): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  for await (const record of store.read(query)) out.push(record);
  return out;
}

describe('SqliteStore lifecycle', () => {
  it('throws a clear error from every method before init', async () => {
    const store = new SqliteStore({ path: join(dir, 'never.sqlite') });
    await expect(store.write([makeRecord()])).rejects.toThrow(/init\(\) before write/);
    await expect(store.purge(new Date())).rejects.toThrow(/init\(\) before purge/);
    await expect(store.erase({ visitorId: 'x' })).rejects.toThrow(/init\(\) before erase/);
    await expect(collect(store)).rejects.toThrow(/init\(\) before read/);
    expect(() => store.count()).toThrow(/init\(\) before count/);
  });

  it('does no I/O in the constructor and has defaults', async () => {
    const store = new SqliteStore();
    expect(store.path).toBe('./access-log.sqlite');
    expect(store.name).toBe('SqliteStore');
    await expect(stat(join(dir, 'never.sqlite'))).rejects.toThrow();
  });

  it('creates the file privately, in WAL mode, at schema version 1', async () => {
    const path = join(dir, 'access.sqlite');
    const store = new SqliteStore({ path, busyTimeoutMs: 20 });
    open.push(store);
    await store.init();
    await store.init();
    await store.write([makeRecord()]);
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o077).toBe(0);
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    db.close();
  });

  it('keeps the rows for the next store that opens the file', async () => {
    const first = await fileStore();
    const record = makeRecord({ optional: { email: 'a@b.c' } });
    await first.write([record, makeRecord()]);
    await first.close();
    await first.close();
    const second = await fileStore();
    expect(second.count()).toBe(2);
    expect(await collect(second, { subject: { email: 'A@B.C' } })).toEqual([record]);
  });

  it('refuses a database whose schema is newer than it knows', async () => {
    const path = join(dir, 'future.sqlite');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    const store = new SqliteStore({ path });
    await expect(store.init()).rejects.toThrow(/schema version 99/);
    await expect(store.write([])).rejects.toThrow(/init/);
  });

  it('works in memory', async () => {
    const store = await memoryStore();
    await store.write([makeRecord()]);
    expect(store.count()).toBe(1);
  });
});

describe('SqliteStore write', () => {
  it('writes 10,000 records in batches of 500', async () => {
    const store = await fileStore();
    const records = Array.from({ length: 10_000 }, () => makeRecord());
    for (let i = 0; i < records.length; i += 500) await store.write(records.slice(i, i + 500));
    expect(store.count()).toBe(10_000);
    const [first] = await collect(store, { limit: 1 });
    expect(first).toEqual(records[0]);
  });

  it('ignores a second write of the same id, within and across batches', async () => {
    const store = await memoryStore();
    const record = makeRecord();
    await store.write([record, record]);
    await store.write([{ ...record, policy: 'other@2' }]);
    expect(store.count()).toBe(1);
    expect((await collect(store))[0]?.policy).toBe('test@1');
  });

  it('stores the record JSON exactly, including awkward strings', async () => {
    const store = await memoryStore();
    const record = makeRecord({
      essential: { method: 'GET', path: '/a\nb\u2028c\u0085', status: 404, durationMs: 0.25 },
      optional: { email: ' Mixed@Case.Example ', note: 'ä😀\u0000' },
      security: { reasons: ['xss'], hold: false, prev: 'abc', hash: 'def' },
    });
    await store.write([record]);
    expect(await collect(store)).toEqual([record]);
  });
});

describe('SqliteStore purge', () => {
  async function fixture() {
    const store = await memoryStore();
    const expires = { client: D1, nonessential: D2, essential: D3 };
    const a = makeRecord({ expires, optional: { email: 'a@example.org' } });
    const held = makeRecord({ expires, security: { reasons: ['sqli'], hold: true } });
    const c = makeRecord({ expires: { client: D1, essential: D2 } });
    await store.write([a, held, c]);
    return { store, a, held, c };
  }

  it('removes client at its expiry but keeps the record, and skips held records', async () => {
    const { store, a, held } = await fixture();
    expect(await store.purge(new Date(D1))).toEqual({
      removed: { ...ZEROS, client: 2 },
      deleted: 0,
    });
    expect(store.count()).toBe(3);
    const [keptA, keptHeld] = await collect(store);
    expect(keptA).not.toHaveProperty('client');
    expect(keptA?.expires).toEqual({ nonessential: D2, essential: D3 });
    expect(keptA?.nonessential).toEqual(a.nonessential);
    expect(keptHeld).toEqual(held);
  });

  it('is idempotent', async () => {
    const { store } = await fixture();
    await store.purge(new Date(D1));
    expect(await store.purge(new Date(D1))).toEqual({ removed: ZEROS, deleted: 0 });
  });

  it('deletes records when essential expires and forgets stripped identifiers', async () => {
    const { store, a, held, c } = await fixture();
    expect(await store.purge(new Date(D2))).toEqual({
      removed: { ...ZEROS, client: 2, nonessential: 1 },
      deleted: 1,
    });
    expect((await collect(store)).map((r) => r.id)).toEqual([a.id, held.id]);
    expect(await collect(store, { subject: { visitorId: a.nonessential!.visitorId! } })).toEqual(
      [],
    );
    expect(await collect(store, { subject: { visitorId: c.nonessential!.visitorId! } })).toEqual(
      [],
    );
    expect(await store.purge(new Date(D3))).toEqual({ removed: ZEROS, deleted: 1 });
    expect((await collect(store)).map((r) => r.id)).toEqual([held.id]);
  });

  it('strips optional data and its e-mail index', async () => {
    const store = await memoryStore();
    const record = makeRecord({
      optional: { email: 'gone@example.org' },
      expires: { optional: D1, essential: D3 },
    });
    await store.write([record]);
    expect((await store.purge(new Date(D1))).removed.optional).toBe(1);
    expect(await collect(store, { subject: { email: 'gone@example.org' } })).toEqual([]);
    expect(await store.erase({ email: 'gone@example.org' })).toEqual({ erased: 0, held: 0 });
    expect(store.count()).toBe(1);
  });

  it('treats an expiry in another ISO form by its instant, and a malformed one as expired', async () => {
    const store = await memoryStore();
    const offset = makeRecord({ expires: { client: '2025-02-01T01:00:00+01:00', essential: D3 } });
    const broken = makeRecord({ expires: { client: 'never', essential: D3 } });
    await store.write([offset, broken]);
    expect((await store.purge(new Date('2025-01-31T23:59:59.999Z'))).removed.client).toBe(1);
    expect((await store.purge(new Date(D1))).removed.client).toBe(1);
  });
});

describe('SqliteStore read', () => {
  const alice = makeRecord({
    time: '2025-01-10T00:00:00.000Z',
    nonessential: { visitorId: 'alice' },
    optional: { email: 'Alice@Example.org' },
  });
  const bob = makeRecord({ time: '2025-01-05T00:00:00.000Z', nonessential: { visitorId: 'bob' } });
  const alice2 = makeRecord({
    time: '2025-01-20T00:00:00.000Z',
    nonessential: { visitorId: 'alice' },
  });
  const anon = makeRecord({ time: '2025-01-15T00:00:00.000Z', nonessential: undefined });

  async function filled(): Promise<SqliteStore> {
    const store = await memoryStore();
    await store.write([alice, bob, alice2, anon]);
    return store;
  }

  it('returns everything oldest first, then by id', async () => {
    const store = await filled();
    const time = '2025-01-15T00:00:00.000Z';
    await store.write([makeRecord({ time, id: 'zz' }), makeRecord({ time, id: '00' })]);
    const ids = (await collect(store)).map((r) => r.id);
    expect(ids).toEqual([bob.id, alice.id, '00', anon.id, 'zz', alice2.id]);
  });

  it('filters by visitor id, by e-mail case-insensitively, and by time range', async () => {
    const store = await filled();
    expect(await collect(store, { subject: { visitorId: 'alice' } })).toEqual([alice, alice2]);
    expect(await collect(store, { subject: { visitorId: 'ALICE' } })).toEqual([]);
    expect(await collect(store, { subject: { email: '  alice@EXAMPLE.org' } })).toEqual([alice]);
    expect(await collect(store, { subject: { email: '' } })).toEqual([]);
    expect(
      (await collect(store, { from: new Date(alice.time), to: new Date(alice2.time) })).map(
        (r) => r.id,
      ),
    ).toEqual([alice.id, anon.id]);
  });

  it('stops at the limit', async () => {
    const store = await filled();
    expect((await collect(store, { limit: 3 })).map((r) => r.id)).toEqual([
      bob.id,
      alice.id,
      anon.id,
    ]);
    expect(await collect(store, { limit: 0 })).toEqual([]);
  });

  it('pages through many records and lets writes run between them', async () => {
    const store = await memoryStore();
    const records = Array.from({ length: 1_234 }, () => makeRecord());
    await store.write(records);
    const seen: string[] = [];
    for await (const record of store.read({})) {
      seen.push(record.id);
      if (seen.length % 400 === 0) await store.write([makeRecord({ time: D1 })]);
    }
    expect(seen.slice(0, records.length)).toEqual(records.map((r) => r.id));
    expect(seen.length).toBeGreaterThan(records.length);
    expect(await collect(store, { limit: 1_000 })).toHaveLength(1_000);
  });
});

describe('SqliteStore erase', () => {
  it('deletes the subject’s records and counts them; held ones survive and are counted', async () => {
    const store = await memoryStore();
    const visitor = { visitorId: 'eve' };
    const held = makeRecord({ nonessential: visitor, security: { reasons: ['x'], hold: true } });
    await store.write([
      makeRecord({ nonessential: visitor }),
      makeRecord({ nonessential: visitor }),
      held,
      makeRecord(),
    ]);
    expect(await store.erase(visitor)).toEqual({ erased: 2, held: 1 });
    expect(await collect(store, { subject: visitor })).toEqual([held]);
    expect(await store.erase(visitor)).toEqual({ erased: 0, held: 1 });
    expect(store.count()).toBe(2);
  });

  it('erases by e-mail, trimmed and case-insensitively, and never on an empty subject', async () => {
    const store = await memoryStore();
    await store.write([makeRecord({ optional: { email: 'X@Y.z' } }), makeRecord()]);
    expect(await store.erase({ email: '' })).toEqual({ erased: 0, held: 0 });
    expect(await store.erase({ visitorId: '' })).toEqual({ erased: 0, held: 0 });
    expect(await store.erase({ email: ' x@y.Z' })).toEqual({ erased: 1, held: 0 });
    expect(await collect(store, { subject: { email: 'x@y.z' } })).toEqual([]);
    expect(store.count()).toBe(1);
  });
});
