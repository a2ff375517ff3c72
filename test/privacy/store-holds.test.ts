import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import type { Hold, Store } from '../../src/stores/store.js';
import { isoAfter, makeRecord } from '../helpers/records.js';

const T0 = '2025-06-01T12:00:00.000Z';
const DAY = 24 * 60 * 60 * 1000;

let dir: string;
const opened: Store[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-holds-'));
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close?.();
  await rm(dir, { recursive: true, force: true });
});

type Kind = 'MemoryStore' | 'SqliteStore';

async function open(kind: Kind, file = 'log.sqlite'): Promise<Store> {
  const store: Store =
    kind === 'MemoryStore' ? new MemoryStore() : new SqliteStore({ path: join(dir, file) });
  await store.init?.();
  opened.push(store);
  return store;
}

async function all(store: Store): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  for await (const record of store.read!({})) out.push(record);
  return out;
}

function hold(id: string, scope: Hold['scope'], reviewAt = isoAfter(T0, 90)): Hold {
  return { id, reason: `case ${id}`, scope, createdAt: T0, reviewAt };
}

/**
 * A controllable clock: `now` only moves when the test says so, and every purge runs at it, the
 * way the retention schedule calls `purge(now)`.
 */
function clock(start: string) {
  let ms = Date.parse(start);
  return {
    now: () => new Date(ms),
    advance(days: number) {
      ms += days * DAY;
    },
  };
}

for (const kind of ['MemoryStore', 'SqliteStore'] as const) {
  describe(`${kind}: retention and legal holds`, () => {
    it('drops client at its expiry, the whole record at the last one; a held record survives both and goes after release', async () => {
      const store = await open(kind);
      const time = clock(T0);
      const expires = {
        client: isoAfter(T0, 7),
        nonessential: isoAfter(T0, 30),
        essential: isoAfter(T0, 90),
      };
      const plain = makeRecord({ time: T0, expires, nonessential: { visitorId: 'plain' } });
      const kept = makeRecord({ time: T0, expires, nonessential: { visitorId: 'kept' } });
      await store.write([plain, kept]);
      expect(await store.hold!(hold('case-1', { subject: { visitorId: 'kept' } }))).toBe(1);

      time.advance(6);
      expect((await store.purge!(time.now())).removed.client).toBe(0);
      time.advance(1); // day 7: client expires
      const atClient = await store.purge!(time.now());
      expect(atClient).toMatchObject({ removed: { client: 1 }, deleted: 0 });
      let records = await all(store);
      expect(records.find((r) => r.id === plain.id)).not.toHaveProperty('client');
      expect(records.find((r) => r.id === plain.id)?.expires).not.toHaveProperty('client');
      expect(records.find((r) => r.id === kept.id)).toEqual(kept);

      time.advance(83); // day 90: essential, the last expiry
      const atEnd = await store.purge!(time.now());
      expect(atEnd).toMatchObject({ removed: { nonessential: 1 }, deleted: 1 });
      records = await all(store);
      expect(records).toEqual([kept]);
      // Idempotent: the same time again changes nothing.
      expect(await store.purge!(time.now())).toMatchObject({ removed: { client: 0 }, deleted: 0 });

      expect(await store.release!('case-1')).toBe(true);
      expect(await store.purge!(time.now())).toMatchObject({ removed: { client: 1 }, deleted: 1 });
      expect(await all(store)).toEqual([]);
    });

    it('erase skips held records and says how many it kept', async () => {
      const store = await open(kind);
      const mine = [1, 2, 3].map(() => makeRecord({ nonessential: { visitorId: 'me' } }));
      await store.write(mine);
      await store.hold!(hold('one', { ids: [mine[1]!.id] }));
      expect(await store.erase!({ visitorId: 'me' })).toEqual({ erased: 2, held: 1 });
      expect((await all(store)).map((r) => r.id)).toEqual([mine[1]!.id]);
      await store.release!('one');
      expect(await store.erase!({ visitorId: 'me' })).toEqual({ erased: 1, held: 0 });
    });

    it('holds by e-mail, case- and space-insensitively, and by time range', async () => {
      const store = await open(kind);
      const byMail = makeRecord({ time: T0, optional: { email: 'Ann@Example.org' } });
      const early = makeRecord({ time: isoAfter(T0, -10) });
      const late = makeRecord({ time: isoAfter(T0, 10) });
      await store.write([byMail, early, late]);
      expect(await store.hold!(hold('mail', { subject: { email: ' ann@example.ORG ' } }))).toBe(1);
      expect(
        await store.hold!(hold('range', { from: isoAfter(T0, -11), to: isoAfter(T0, -9) })),
      ).toBe(1);
      const result = await store.purge!(new Date('2030-01-01T00:00:00.000Z'));
      expect(result.deleted).toBe(1);
      expect((await all(store)).map((r) => r.id).sort()).toEqual([byMail.id, early.id].sort());
    });

    it('lists holds oldest first, keeps createdAt when a hold is replaced, and refuses bad holds', async () => {
      const store = await open(kind);
      await store.hold!({ ...hold('b', {}), createdAt: isoAfter(T0, 1) });
      await store.hold!(hold('a', { ids: ['x'] }));
      await store.hold!({
        ...hold('a', { ids: ['y'] }),
        createdAt: isoAfter(T0, 5),
        reason: 'wider',
      });
      const holds = await store.holds!();
      expect(holds.map((h) => h.id)).toEqual(['a', 'b']);
      expect(holds[0]).toMatchObject({ reason: 'wider', scope: { ids: ['y'] }, createdAt: T0 });
      await expect(store.hold!({ ...hold('c', {}), reviewAt: 'soon' })).rejects.toThrow(/reviewAt/);
      await expect(
        store.hold!(hold('d', { subjet: { visitorId: 'x' } } as unknown as Hold['scope'])),
      ).rejects.toThrow(/unknown/);
      await expect(store.hold!(hold('', {}))).rejects.toThrow(/hold\.id/);
      expect(await store.release!('nope')).toBe(false);
    });
  });
}

describe('SqliteStore: holds persist and reach other connections', () => {
  it('keeps holds across a reopen', async () => {
    const first = await open('SqliteStore', 'persist.sqlite');
    const record = makeRecord({ time: T0, nonessential: { visitorId: 'v' } });
    await first.write([record]);
    await first.hold!(hold('keep', { subject: { visitorId: 'v' } }));
    await first.close!();
    const again = await open('SqliteStore', 'persist.sqlite');
    expect((await again.holds!()).map((h) => h.id)).toEqual(['keep']);
    expect((await again.purge!(new Date('2030-01-01T00:00:00.000Z'))).deleted).toBe(0);
    expect(await again.erase!({ visitorId: 'v' })).toEqual({ erased: 0, held: 1 });
  });

  it('a writer marks new records held for a hold placed by another connection', async () => {
    const app = await open('SqliteStore', 'shared.sqlite');
    const cli = await open('SqliteStore', 'shared.sqlite');
    await app.write([makeRecord({ nonessential: { visitorId: 'other' } })]); // caches "no holds"
    await cli.hold!(hold('late', { subject: { visitorId: 'late' } }));
    const late = makeRecord({ nonessential: { visitorId: 'late' } });
    await app.write([late]);
    expect(await cli.erase!({ visitorId: 'late' })).toEqual({ erased: 0, held: 1 });
    await cli.release!('late');
    await app.write([makeRecord({ nonessential: { visitorId: 'late' } })]);
    expect(await app.erase!({ visitorId: 'late' })).toEqual({ erased: 2, held: 0 });
  });

  it('keeps a record held while a second hold still covers it', async () => {
    const store = await open('SqliteStore');
    const record = makeRecord({ time: T0 });
    await store.write([record]);
    await store.hold!(hold('by-id', { ids: [record.id] }));
    await store.hold!(hold('by-time', { from: isoAfter(T0, -1) }));
    await store.release!('by-id');
    expect((await store.purge!(new Date('2030-01-01T00:00:00.000Z'))).deleted).toBe(0);
    await store.release!('by-time');
    expect((await store.purge!(new Date('2030-01-01T00:00:00.000Z'))).deleted).toBe(1);
  });

  it('keeps security evidence flagged as held after an unrelated hold is released', async () => {
    const store = await open('SqliteStore');
    const evidence = makeRecord({ time: T0, security: { reasons: ['sqli'], hold: true } });
    await store.write([evidence]);
    await store.hold!(hold('all', {}));
    await store.release!('all');
    expect((await store.purge!(new Date('2030-01-01T00:00:00.000Z'))).deleted).toBe(0);
  });

  it('migrates a version 1 database and keeps its records', async () => {
    const path = join(dir, 'v1.sqlite');
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path);
    db.exec(
      `CREATE TABLE access_records (id TEXT PRIMARY KEY, time TEXT NOT NULL, visitor_id TEXT, email TEXT,
         held INTEGER NOT NULL DEFAULT 0, exp_client TEXT, exp_essential TEXT, exp_nonessential TEXT,
         exp_optional TEXT, exp_security TEXT, record TEXT NOT NULL)`,
    );
    const record = makeRecord({ time: T0, nonessential: { visitorId: 'old' } });
    db.prepare('INSERT INTO access_records (id, time, visitor_id, record) VALUES (?, ?, ?, ?)').run(
      record.id,
      record.time,
      'old',
      JSON.stringify(record),
    );
    db.pragma('user_version = 1');
    db.close();
    const store = await open('SqliteStore', 'v1.sqlite');
    expect(await store.hold!(hold('old', { subject: { visitorId: 'old' } }))).toBe(1);
    expect(await all(store)).toEqual([record]);
  });
});
