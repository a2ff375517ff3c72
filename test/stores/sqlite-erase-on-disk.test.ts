import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { daysAfter } from '../../src/testing/contract-records.js';
import { fillerRecords, markedRecord, markers, searchFiles } from '../helpers/markers.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-erase-disk-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteStore: erased and purged records leave no bytes on disk', () => {
  it('erasure by visitor id and by e-mail: no marker in the file, its -wal or its -shm', async () => {
    const path = join(dir, 'log.sqlite');
    const store = new SqliteStore({ path });
    await store.init();
    const byVisitor = markers('v');
    const byEmail = markers('e');
    const needles = [...Object.values(byVisitor), ...Object.values(byEmail)];
    // Rows that stay on the same pages as the erased ones, before and after them.
    await store.write(fillerRecords(40));
    await store.write([markedRecord(byVisitor), markedRecord(byVisitor), markedRecord(byEmail)]);
    await store.write(fillerRecords(40));
    expect(Object.keys(await searchFiles(dir, 'log.sqlite', needles))).not.toHaveLength(0);

    expect(await store.erase({ visitorId: byVisitor.visitor })).toEqual({ erased: 2, held: 0 });
    expect(await store.erase({ email: byEmail.email.toUpperCase() })).toEqual({
      erased: 1,
      held: 0,
    });
    // While the store is still open: the WAL was checkpointed and emptied.
    expect(await searchFiles(dir, 'log.sqlite', needles)).toEqual({});
    expect((await stat(`${path}-wal`)).size).toBe(0);
    await store.close();
    expect(await searchFiles(dir, 'log.sqlite', needles)).toEqual({});
  });

  it('purge: records deleted and categories stripped leave no marker', async () => {
    const path = join(dir, 'log.sqlite');
    const store = new SqliteStore({ path });
    await store.init();
    const old = markers('p');
    const then = '2025-01-01T00:00:00.000Z';
    await store.write(fillerRecords(30));
    // One record expires whole; one loses its optional and nonessential data but lives on.
    const whole = markedRecord(old, then);
    const stripped = markedRecord(old, then);
    stripped.expires.essential = daysAfter(Date.now(), 365);
    await store.write([whole, stripped]);
    await store.write(fillerRecords(30));
    const result = await store.purge(new Date());
    expect(result.deleted).toBe(1);
    expect(result.removed.optional).toBe(2);
    // The path of the surviving record is essential data: it stays, and only it.
    const left = await searchFiles(dir, 'log.sqlite', [old.visitor, old.email]);
    expect(left).toEqual({});
    await store.close();
    expect(await searchFiles(dir, 'log.sqlite', [old.visitor, old.email])).toEqual({});
    const reopened = new SqliteStore({ path });
    await reopened.init();
    expect(reopened.count()).toBe(61);
    await reopened.close();
  });

  it('a reader holding the WAL delays the truncation, which is retried until it succeeds', async () => {
    const path = join(dir, 'log.sqlite');
    const store = new SqliteStore({ path });
    await store.init();
    const mark = markers('r');
    await store.write([...fillerRecords(20), markedRecord(mark)]);
    const reader = new Database(path, { readonly: true });
    // An open read transaction pins the WAL: no checkpoint can truncate it meanwhile.
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM access_records').get();
    expect(await store.erase({ visitorId: mark.visitor })).toEqual({ erased: 1, held: 0 });
    expect(store.walPending).toBe(true);
    expect(await searchFiles(dir, 'log.sqlite-wal', [mark.visitor])).not.toEqual({});
    reader.exec('COMMIT');
    reader.close();
    await vi.waitFor(() => expect(store.walPending).toBe(false), { timeout: 10_000 });
    expect(await searchFiles(dir, 'log.sqlite', Object.values(mark))).toEqual({});
    await store.close();
  });
});
