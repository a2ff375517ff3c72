import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
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

describe('SqliteStore schema', () => {
  it('migrates a version 2 file: one index on the earliest expiry, rows and holds kept', async () => {
    const path = join(dir, 'v2.sqlite');
    const { plain, evidence, covered } = versionTwoFile(path);
    const store = await openStore(path);
    expect(SQLITE_SCHEMA_VERSION).toBe(4);
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
});
