import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { earliestExpiry } from '../../src/stores/sqlite/schema.js';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../../src/stores/sqlite/store.js';
import { makeRecord } from '../helpers/records.js';

const D1 = '2025-02-01T00:00:00.000Z';
const D2 = '2025-03-01T00:00:00.000Z';
const D3 = '2025-04-01T00:00:00.000Z';
const ZEROS = { client: 0, nonessential: 0, optional: 0, security: 0 };

/** The schema of version 2 as that release created it: one index per category's expiry. */
const VERSION_2 = `
  CREATE TABLE access_records (id TEXT PRIMARY KEY, time TEXT NOT NULL, visitor_id TEXT,
    email TEXT, held INTEGER NOT NULL DEFAULT 0, exp_client TEXT, exp_essential TEXT,
    exp_nonessential TEXT, exp_optional TEXT, exp_security TEXT, record TEXT NOT NULL);
  CREATE INDEX access_records_time ON access_records (time, id);
  CREATE INDEX access_records_visitor_id ON access_records (visitor_id) WHERE visitor_id IS NOT NULL;
  CREATE INDEX access_records_email ON access_records (email) WHERE email IS NOT NULL;
  CREATE INDEX access_records_exp_client ON access_records (exp_client) WHERE exp_client IS NOT NULL;
  CREATE INDEX access_records_exp_essential ON access_records (exp_essential)
    WHERE exp_essential IS NOT NULL;
  CREATE INDEX access_records_exp_nonessential ON access_records (exp_nonessential)
    WHERE exp_nonessential IS NOT NULL;
  CREATE INDEX access_records_exp_optional ON access_records (exp_optional)
    WHERE exp_optional IS NOT NULL;
  CREATE INDEX access_records_exp_security ON access_records (exp_security)
    WHERE exp_security IS NOT NULL;
  CREATE TABLE holds (id TEXT PRIMARY KEY, reason TEXT NOT NULL, scope TEXT NOT NULL,
    created_at TEXT NOT NULL, review_at TEXT NOT NULL);
  CREATE TABLE hold_epoch (epoch INTEGER NOT NULL);
  INSERT INTO hold_epoch (epoch) VALUES (1);
  CREATE INDEX access_records_held ON access_records (held) WHERE held = 1;`;

let dir: string;
const open: SqliteStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-sqlite-schema-'));
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function openStore(path: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path });
  open.push(store);
  await store.init();
  return store;
}

async function all(store: SqliteStore): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  for await (const record of store.read({})) out.push(record);
  return out;
}

function indexes(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.pragma('index_list(access_records)') as { name: string }[])
      .map((index) => index.name)
      .filter((name) => !name.startsWith('sqlite_autoindex'))
      .sort();
  } finally {
    db.close();
  }
}

/**
 * A version 2 file with rows as version 2 wrote them: `plain` (client, nonessential and e-mail
 * expiring before the record), `evidence` (security evidence flagged as held) and `covered` (held
 * by the hold `case-1`).
 */
function versionTwoFile(path: string) {
  const plain = makeRecord({
    nonessential: { visitorId: 'old-visitor' },
    optional: { email: 'Old@Example.org' },
    expires: { client: D1, optional: D1, nonessential: D2, essential: D3 },
  });
  const evidence = makeRecord({
    security: { reasons: ['sqli'], hold: true },
    expires: { client: D1, essential: D2, security: D3 },
  });
  const covered = makeRecord({
    nonessential: { visitorId: 'on-hold' },
    expires: { client: D1, essential: D2 },
  });
  const db = new Database(path);
  db.exec(VERSION_2);
  const insert = db.prepare(
    `INSERT INTO access_records (id, time, visitor_id, email, held, exp_client, exp_essential,
       exp_nonessential, exp_optional, exp_security, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const [record, held] of [
    [plain, 0],
    [evidence, 1],
    [covered, 1],
  ] as const) {
    const { expires } = record;
    insert.run(
      record.id,
      record.time,
      record.nonessential?.visitorId ?? null,
      record.optional?.email?.toLowerCase() ?? null,
      held,
      expires.client ?? null,
      expires.essential ?? null,
      expires.nonessential ?? null,
      expires.optional ?? null,
      expires.security ?? null,
      JSON.stringify(record),
    );
  }
  db.prepare('INSERT INTO holds VALUES (?, ?, ?, ?, ?)').run(
    'case-1',
    'litigation',
    JSON.stringify({ subject: { visitorId: 'on-hold' } }),
    '2025-01-02T00:00:00.000Z',
    '2025-07-01T00:00:00.000Z',
  );
  db.pragma('user_version = 2');
  db.close();
  return { plain, evidence, covered };
}

/** What versions 3 and 4 added to a version 2 file, as those releases wrote it. */
const VERSIONS_3_AND_4 = `
  ALTER TABLE access_records ADD COLUMN exp_next TEXT GENERATED ALWAYS AS (nullif(min(
    coalesce(exp_client, '~'), coalesce(exp_essential, '~'), coalesce(exp_nonessential, '~'),
    coalesce(exp_optional, '~'), coalesce(exp_security, '~')), '~')) VIRTUAL;
  DROP INDEX access_records_exp_client;
  DROP INDEX access_records_exp_essential;
  DROP INDEX access_records_exp_nonessential;
  DROP INDEX access_records_exp_optional;
  DROP INDEX access_records_exp_security;
  CREATE INDEX access_records_exp_next ON access_records (exp_next)
    WHERE held = 0 AND exp_next IS NOT NULL;
  CREATE TABLE consent_events (id TEXT PRIMARY KEY, time TEXT NOT NULL, visitor_id TEXT,
    expires TEXT NOT NULL, event TEXT NOT NULL);
  CREATE INDEX consent_events_visitor_id ON consent_events (visitor_id)
    WHERE visitor_id IS NOT NULL;
  CREATE INDEX consent_events_expires ON consent_events (expires);`;

/** `exp_next` of every row, by id, and how many rows hold a value other than the expression's. */
function earliestExpiries(path: string): { byId: Record<string, string | null>; drifted: number } {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT id, exp_next FROM access_records').all() as {
      id: string;
      exp_next: string | null;
    }[];
    const drifted = db
      .prepare(`SELECT count(*) FROM access_records WHERE exp_next IS NOT ${earliestExpiry()}`)
      .pluck()
      .get() as number;
    return { byId: Object.fromEntries(rows.map((r) => [r.id, r.exp_next])), drifted };
  } finally {
    db.close();
  }
}

describe('SqliteStore schema', () => {
  it('migrates a version 2 file: one index on the earliest expiry, rows and holds kept', async () => {
    const path = join(dir, 'v2.sqlite');
    const { plain, evidence, covered } = versionTwoFile(path);
    const store = await openStore(path);
    expect(SQLITE_SCHEMA_VERSION).toBe(5);
    expect(indexes(path)).toEqual([
      'access_records_email',
      'access_records_exp_next',
      'access_records_held',
      'access_records_time',
      'access_records_visitor_id',
    ]);
    expect(await all(store)).toEqual([plain, evidence, covered]);
    expect((await store.holds()).map((hold) => hold.id)).toEqual(['case-1']);

    // Rows written before the upgrade are purged by their expiries, category by category.
    expect(await store.purge(new Date(D1))).toEqual({
      removed: { ...ZEROS, client: 1, optional: 1 },
      deleted: 0,
    });
    expect(await store.erase({ email: 'old@example.org' })).toEqual({ erased: 0, held: 0 });
    expect(await store.purge(new Date(D2))).toEqual({
      removed: { ...ZEROS, nonessential: 1 },
      deleted: 0,
    });
    expect(await store.purge(new Date(D3))).toEqual({ removed: ZEROS, deleted: 1 });
    expect((await all(store)).map((record) => record.id)).toEqual([evidence.id, covered.id]);

    // Released, the covered row joins the purge's index and goes at the next purge.
    await store.release('case-1');
    expect(await store.purge(new Date(D3))).toEqual({
      removed: { ...ZEROS, client: 1 },
      deleted: 1,
    });
    expect((await all(store)).map((record) => record.id)).toEqual([evidence.id]);
  });

  it('opens a migrated file again without migrating, and new rows mix with old ones', async () => {
    const path = join(dir, 'v2.sqlite');
    const { plain } = versionTwoFile(path);
    const first = await openStore(path);
    await first.close();
    const second = await openStore(path);
    const fresh = makeRecord({ expires: { client: D1, essential: D3 } });
    await second.write([fresh]);
    expect((await second.purge(new Date(D1))).removed.client).toBe(2);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    db.close();
    expect((await all(second)).map((record) => record.id)).toContain(plain.id);
  });

  it('writes batches that are not a multiple of the rows per statement, first write winning', async () => {
    const store = await openStore(join(dir, 'rows.sqlite'));
    const records = Array.from({ length: 131 }, () => makeRecord());
    const again = { ...records[70]!, policy: 'later@2' };
    // 133 rows: statements of 64, 64 and 5, each repeat in a later statement than its original.
    await store.write([...records.slice(0, 65), records[3]!, ...records.slice(65), again]);
    await store.write(records.slice(128));
    expect(store.count()).toBe(131);
    expect(await all(store)).toEqual(records);
  });

  it('creates a new file with 16 KiB pages and leaves an existing file its own page size', async () => {
    const pageSize = (path: string): number => {
      const db = new Database(path, { readonly: true });
      try {
        return db.pragma('page_size', { simple: true }) as number;
      } finally {
        db.close();
      }
    };
    const fresh = await openStore(join(dir, 'new.sqlite'));
    await fresh.write([makeRecord()]);
    await fresh.close();
    expect(pageSize(join(dir, 'new.sqlite'))).toBe(16_384);

    // A file an older release made: SQLite's default pages, rows already in it.
    const path = join(dir, 'v2.sqlite');
    const { plain } = versionTwoFile(path);
    expect(pageSize(path)).toBe(4096);
    const store = await openStore(path);
    const added = makeRecord();
    await store.write([added]);
    expect((await all(store)).map((record) => record.id)).toEqual(
      expect.arrayContaining([plain.id, added.id]),
    );
    await store.close();
    expect(pageSize(path)).toBe(4096);
  });

  it('migrates a version 4 file: the earliest expiry becomes a plain column with the same values', async () => {
    const path = join(dir, 'v4.sqlite');
    const { plain, evidence, covered } = versionTwoFile(path);
    const db = new Database(path);
    db.exec(VERSIONS_3_AND_4);
    db.pragma('user_version = 4');
    const before = db.prepare('SELECT id, exp_next FROM access_records ORDER BY id').all();
    db.close();

    const store = await openStore(path);
    const check = new Database(path, { readonly: true });
    const column = (
      check.pragma('table_xinfo(access_records)') as { name: string; hidden: number }[]
    ).find((c) => c.name === 'exp_next');
    check.close();
    // table_xinfo marks generated columns as hidden (2 virtual, 3 stored); a plain one is 0.
    expect(column?.hidden).toBe(0);
    const after = earliestExpiries(path);
    expect(after.drifted).toBe(0);
    expect(before).toEqual(
      Object.entries(after.byId)
        .map(([id, exp_next]) => ({ id, exp_next }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    expect(after.byId[plain.id]).toBe(D1);
    expect(indexes(path)).toContain('access_records_exp_next');

    // Retention still finds the old rows through the index.
    expect(await store.purge(new Date(D2))).toEqual({
      removed: { ...ZEROS, client: 1, optional: 1, nonessential: 1 },
      deleted: 0,
    });
    expect(await store.purge(new Date(D3))).toEqual({ removed: ZEROS, deleted: 1 });
    expect((await all(store)).map((record) => record.id)).toEqual([evidence.id, covered.id]);
  });

  it('keeps exp_next equal to the earliest expiry through inserts and retention', async () => {
    const path = join(dir, 'next.sqlite');
    const store = await openStore(path);
    const T = ['2025-01-01T00:00:00.000Z', D1, D2, D3, '+010000-01-01T00:00:00.000Z'];
    const records: AccessRecord[] = [];
    // Every subset of the four strippable categories, with expiries in different orders.
    for (let mask = 0; mask < 16; mask++) {
      const expires: Record<string, string> = { essential: T[(mask % 3) + 2]! };
      ['client', 'nonessential', 'optional', 'security'].forEach((category, i) => {
        if (mask & (1 << i)) expires[category] = T[(i + mask) % T.length]!;
      });
      records.push(makeRecord({ expires: expires as AccessRecord['expires'] }));
    }
    // An expiry that does not parse counts as the epoch, in exp_next as in its own column.
    records.push(makeRecord({ expires: { essential: D3, client: 'not a time' } }));
    await store.write(records);
    let state = earliestExpiries(path);
    expect(state.drifted).toBe(0);
    expect(state.byId[records[16]!.id]).toBe(new Date(0).toISOString());
    const expected = (r: AccessRecord) =>
      Object.values(r.expires)
        .filter((v): v is string => typeof v === 'string')
        .sort()[0];
    for (const record of records.slice(0, 16)) {
      expect(state.byId[record.id]).toBe(expected(record));
    }

    for (const now of [D1, '2025-02-15T00:00:00.000Z', D2]) {
      await store.purge(new Date(now));
      state = earliestExpiries(path);
      expect(state.drifted).toBe(0);
      // Every row left has an expiry still ahead of the purge: the one the index will find it by.
      for (const next of Object.values(state.byId)) expect(next === null || next > now).toBe(true);
    }
    expect(Object.keys(state.byId).length).toBeGreaterThan(0);
  });
});
