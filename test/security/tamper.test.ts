import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presets, privacyLog } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { readAll } from '../../src/security/api.js';
import { verifyChains } from '../../src/security/verify.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'epl-tamper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keys = generateKeyPairSync('ed25519');
const original = join(dir, 'original.sqlite');
let ids: string[] = [];

/** A copy of the untouched database, changed by `sql`, and what verify says of it. */
async function tampered(name: string, sql: (db: Database.Database) => void) {
  const path = join(dir, `${name}.sqlite`);
  copyFileSync(original, path);
  const db = new Database(path);
  sql(db);
  db.close();
  const store = new SqliteStore({ path });
  await store.init();
  const report = verifyChains(await readAll(store), keys.publicKey);
  await store.close();
  return report;
}

const recordOf = (db: Database.Database, id: string): AccessRecord =>
  JSON.parse(
    (db.prepare('SELECT record FROM access_records WHERE id = ?').get(id) as { record: string })
      .record,
  );

describe('tamper evidence: the security records form a signed hash chain', () => {
  beforeAll(async () => {
    const store = new SqliteStore({ path: original });
    const log = privacyLog({
      policy: presets.gdpr,
      store,
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
      batch: { maxDelayMs: 5 },
      retention: { enabled: false },
      security: { signingKey: keys.privateKey },
    });
    const app = express();
    app.use(log);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    for (const target of [
      '/.env',
      '/',
      '/a/../../etc/passwd',
      '/.git/config',
      '/',
      '/wp-login.php',
    ])
      await request(app).get(target);
    const report = await log.security.verify();
    expect(report.ok).toBe(true);
    expect(report.stores[0]!.chains).toEqual([
      expect.objectContaining({ records: 4, checkpoints: 4 }),
    ]);
    await log.close();
    const reader = new SqliteStore({ path: original });
    await reader.init();
    const records = await readAll(reader);
    await reader.close();
    ids = records.filter((r) => r.security).map((r) => r.id);
    expect(ids).toHaveLength(4);
    expect(
      records.filter((r) => !r.security).every((r) => !JSON.stringify(r).includes('"hash"')),
    ).toBe(true);
  });

  it('verifies an untouched store', async () => {
    const report = await tampered('untouched', () => {});
    expect(report).toMatchObject({ ok: true, problems: [] });
  });

  it('names a record whose field was edited with SQL', async () => {
    const report = await tampered('edited', (db) =>
      db
        .prepare(
          "UPDATE access_records SET record = json_set(record, '$.essential.status', 200) WHERE id = ?",
        )
        .run(ids[1]),
    );
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'edited', id: ids[1] })]);
  });

  it('names the record after a deleted row', async () => {
    const report = await tampered('deleted', (db) =>
      db.prepare('DELETE FROM access_records WHERE id = ?').run(ids[1]),
    );
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'deleted', id: ids[2] })]);
  });

  it('names an inserted row', async () => {
    let forged = '';
    const report = await tampered('inserted', (db) => {
      const copy = recordOf(db, ids[2]!);
      forged = `${ids[2]!.slice(0, -4)}ffff`;
      copy.id = forged;
      db.prepare('INSERT INTO access_records (id, time, held, record) VALUES (?, ?, 1, ?)').run(
        forged,
        copy.time,
        JSON.stringify(copy),
      );
    });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'inserted', id: forged })]);
  });

  it('names two swapped rows', async () => {
    const report = await tampered('swapped', (db) => {
      const a = db.prepare('SELECT record FROM access_records WHERE id = ?').get(ids[1]) as {
        record: string;
      };
      const b = db.prepare('SELECT record FROM access_records WHERE id = ?').get(ids[2]) as {
        record: string;
      };
      const set = db.prepare('UPDATE access_records SET record = ? WHERE id = ?');
      set.run(b.record, ids[1]);
      set.run(a.record, ids[2]);
    });
    expect(report.problems.map((p) => [p.kind, p.id]).sort()).toEqual(
      [
        ['reordered', ids[1]],
        ['reordered', ids[2]],
      ].sort(),
    );
  });

  it('names a record whose checkpoint signature was altered', async () => {
    const report = await tampered('checkpoint', (db) => {
      const record = recordOf(db, ids[3]!);
      const sig = record.security!.checkpoint!.sig;
      record.security!.checkpoint!.sig = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
      db.prepare('UPDATE access_records SET record = ? WHERE id = ?').run(
        JSON.stringify(record),
        ids[3],
      );
    });
    expect(report.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'bad-checkpoint', id: ids[3] })]),
    );
    expect(report.problems.every((p) => p.id === ids[3])).toBe(true);
  });

  it('catches a chain rewritten with fresh hashes: the checkpoints no longer verify', async () => {
    const { recordHash } = await import('../../src/security/canonical.js');
    const report = await tampered('rewritten', (db) => {
      let prev: string | undefined;
      for (const id of ids) {
        const record = recordOf(db, id);
        if (id === ids[0]) record.essential.status = 200;
        if (prev !== undefined) record.security!.prev = prev;
        record.security!.hash = recordHash(record);
        prev = record.security!.hash;
        db.prepare('UPDATE access_records SET record = ? WHERE id = ?').run(
          JSON.stringify(record),
          id,
        );
      }
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toContain('bad-checkpoint');
  });

  it('express-privacy-log verify: exit 0 on an untouched store, 1 naming the edited record', async () => {
    const publicFile = join(dir, 'investigator.pub.pem');
    writeFileSync(publicFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    await tampered('cli-edited', (db) =>
      db
        .prepare("UPDATE access_records SET record = json_set(record, '$.time', ?) WHERE id = ?")
        .run('2020-01-01T00:00:00.000Z', ids[0]),
    );
    const clean = await cli('verify', '--store', `sqlite:${original}`, '--public-key', publicFile);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('verified');
    const edited = await cli(
      'verify',
      '--store',
      `sqlite:${join(dir, 'cli-edited.sqlite')}`,
      '--public-key',
      publicFile,
    );
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain(`EDITED ${ids[0]}`);
    // Another key: every checkpoint fails, and the command says so.
    const other = join(dir, 'other.pub.pem');
    writeFileSync(
      other,
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const wrong = await cli(
      'verify',
      '--store',
      `sqlite:${original}`,
      '--public-key',
      other,
      '--json',
    );
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).problems).toHaveLength(4);
  });
});
