import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type express from 'express';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { definePolicy, presets, type privacyLog } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { readAll } from '../../src/security/api.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { attackSite, INJECTION, SQLMAP, scriptedAttack } from '../helpers/attack-site.js';
import { cli } from '../helpers/cli.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

const COLUMNS =
  'time, id, visitor_id, email, held, exp_client, exp_essential, exp_nonessential, exp_optional, exp_security, record';
const { categories } = presets.classic;
/** The seed policy with a week's retention everywhere, the security category's too. */
const policy = definePolicy({
  ...presets.classic,
  name: 'short',
  categories: {
    client: { ...categories.client!, retention: 'P7D' },
    essential: { ...categories.essential, retention: 'P7D' },
    nonessential: { ...categories.nonessential!, retention: 'P7D' },
    security: { ...categories.security!, retention: 'P7D' },
  },
});

serviceSuite('PG_URL', 'security investigations end to end on PostgreSQL', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const table = uniqueName('epl_evidence');
  const t = `"${table}"`;
  const store = ['--store', url, '--table', table];
  const dir = mkdtempSync(join(tmpdir(), 'epl-pg-evidence-'));
  const keys = generateKeyPairSync('ed25519');
  const publicFile = join(dir, 'signing.pub.pem');
  writeFileSync(publicFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  let log: ReturnType<typeof privacyLog>;
  let app: express.Express;
  let cookie = '';
  /** The flagged records' ids in chain order. */
  let ids: string[] = [];

  async function stored(): Promise<AccessRecord[]> {
    const reader = new PostgresStore({ pool, table });
    await reader.init();
    return readAll(reader);
  }

  beforeAll(() => {
    ({ log, app } = attackSite(policy, new PostgresStore({ pool, table }), keys.privateKey));
  });
  afterAll(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
    await pool.query(
      `DROP TABLE IF EXISTS ${t}, "${table}_holds", "${table}_schema", "${table}_disclosures", "${table}_bk", "${table}_rollups", "${table}_rollup_state" CASCADE`,
    );
    await pool.end();
  });

  // Fourteen requests, a purge that makes partitions, the subject routes: slow on a busy machine.
  it('flags a scripted attack, keeps evidence only for it, protects it from purge and erasure', {
    timeout: 60_000,
  }, async () => {
    cookie = await scriptedAttack(app);
    await request(app)
      .get('/products?id=42')
      .set('User-Agent', 'Mozilla/5.0 Firefox/128.0')
      .set('Cookie', cookie);
    await log.flush();

    const records = await stored();
    const flagged = records.filter((r) => r.security);
    ids = flagged.sort((a, b) => a.security!.seq! - b.security!.seq!).map((r) => r.id);
    expect(flagged.map((r) => r.security!.reasons)).toEqual([
      ['sql-injection', 'attack-tool'],
      ['path-traversal', 'sensitive-path'],
      ['sensitive-path'],
      ['auth-failure-burst'],
    ]);
    for (const r of flagged) {
      expect(r.security!.target).toEqual(expect.any(String));
      expect(r.security!.hold).toBe(true);
    }
    // The source port where the client connected directly; behind the proxy it is the proxy's.
    expect(flagged.slice(0, 3).map((r) => typeof r.security!.port)).toEqual(
      Array(3).fill('number'),
    );
    expect(flagged[3]!.security!.port).toBeUndefined();
    expect(flagged[0]!.security).toMatchObject({ target: INJECTION, userAgent: SQLMAP });
    const plain = JSON.stringify(records.find((r) => r.essential.status === 200 && !r.security));
    for (const absent of ['id=42', 'Firefox/128.0', '"port"', '"target"', '"headers"'])
      expect(plain).not.toContain(absent);

    // A month on: past every retention; only the holds keep the flagged records.
    await log.purge(new Date(Date.now() + 30 * 86_400_000));
    expect((await stored()).map((r) => r.id).sort()).toEqual([...ids].sort());

    await request(app).get('/products').set('Cookie', cookie);
    await log.flush();
    const mine = await request(app).get('/privacy/my-data').set('Cookie', cookie);
    expect(JSON.parse(mine.text).records.length).toBeGreaterThan(0);
    for (const absent of ['"security"', 'sensitive-path', '"held"', ...ids])
      expect(mine.text).not.toContain(absent);
    const erased = await request(app).post('/privacy/erase').set('Cookie', cookie);
    expect(erased.body).toMatchObject({ ok: true, held: 0 });
    expect(erased.body.erased).toBeGreaterThan(0);
    // The erase request's own record may land after the erasure: only the evidence is asserted.
    expect((await stored()).map((r) => r.id)).toEqual(expect.arrayContaining(ids));

    const operator = await log.subjects.export({
      visitorId: flagged[0]!.nonessential!.visitorId!,
    });
    expect(operator.records.map((e) => [e.record.id, e.held])).toEqual(
      ids.slice(0, 3).map((id) => [id, true]),
    );
  });

  it('exports the incident as a bundle that verifies offline, and lists it in the register', async () => {
    const out = join(dir, 'bundle');
    const exported = await cli(
      'evidence',
      'export',
      ...store,
      '--incident',
      'sensitive-path',
      '--out',
      out,
      '--by',
      'J. Doe',
      '--recipient',
      'Police',
      '--basis',
      'production order',
      '--public-key',
      publicFile,
    );
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect((await cli('evidence', 'verify', out, '--public-key', publicFile)).code).toBe(0);
    const register = JSON.parse((await cli('disclosures', ...store, '--json')).stdout);
    expect(register).toEqual([
      expect.objectContaining({
        recipient: 'Police',
        scope: { incident: 'sensitive-path', kind: 'reason', ids: [ids[1], ids[2]] },
      }),
    ]);
    // The register is the controller's, not the visitor's: erasure leaves it.
    await request(app).post('/privacy/erase').set('Cookie', cookie);
    expect(JSON.parse((await cli('disclosures', ...store, '--json')).stdout)).toHaveLength(1);
  });

  /** Change the table with `sql`, run `verify`, and put the rows back as they were. */
  async function tampered(sql: () => Promise<unknown>) {
    await pool.query(`CREATE TABLE IF NOT EXISTS "${table}_bk" AS SELECT ${COLUMNS} FROM ${t}`);
    try {
      await sql();
      return await cli('verify', ...store, '--public-key', publicFile);
    } finally {
      await pool.query(`DELETE FROM ${t}`);
      await pool.query(`INSERT INTO ${t} (${COLUMNS}) SELECT ${COLUMNS} FROM "${table}_bk"`);
    }
  }

  it('verify: exit 0 untouched; names a deleted, an inserted, two swapped rows and a bad signature', async () => {
    const clean = await cli('verify', ...store, '--public-key', publicFile);
    expect(clean.stdout).toContain('verified');
    expect(clean.code).toBe(0);

    const deleted = await tampered(() => pool.query(`DELETE FROM ${t} WHERE id = $1`, [ids[1]]));
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toContain(`DELETED ${ids[2]}`);

    const forged = `${ids[2]!.slice(0, -4)}ffff`;
    const inserted = await tampered(() =>
      pool.query(
        `INSERT INTO ${t} (${COLUMNS})
         SELECT time, $2, visitor_id, email, held, exp_client, exp_essential, exp_nonessential,
                exp_optional, exp_security, jsonb_set(record::jsonb, '{id}', to_jsonb($2::text))::json
           FROM ${t} WHERE id = $1`,
        [ids[2], forged],
      ),
    );
    expect(inserted.code).toBe(1);
    expect(inserted.stdout).toContain(`INSERTED ${forged}`);

    const swapped = await tampered(async () => {
      const { rows } = await pool.query<{ id: string; record: unknown }>(
        `SELECT id, record::text AS record FROM ${t} WHERE id = ANY($1)`,
        [[ids[1], ids[2]]],
      );
      const text = new Map(rows.map((r) => [r.id, r.record]));
      await pool.query(`UPDATE ${t} SET record = $2::json WHERE id = $1`, [
        ids[1],
        text.get(ids[2]!),
      ]);
      await pool.query(`UPDATE ${t} SET record = $2::json WHERE id = $1`, [
        ids[2],
        text.get(ids[1]!),
      ]);
    });
    expect(swapped.code).toBe(1);
    expect(swapped.stdout).toContain(`REORDERED ${ids[1]}`);
    expect(swapped.stdout).toContain(`REORDERED ${ids[2]}`);

    const signature = await tampered(() =>
      pool.query(
        `UPDATE ${t} SET record = jsonb_set(record::jsonb, '{security,checkpoint,sig}',
           to_jsonb(translate(record->'security'->'checkpoint'->>'sig', 'ABCDEFGH', 'BCDEFGHA')))::json
         WHERE id = $1`,
        [ids[3]],
      ),
    );
    expect(signature.code).toBe(1);
    expect(signature.stdout).toContain(`BAD-CHECKPOINT ${ids[3]}`);

    // Put back as it was: verifies again.
    expect((await cli('verify', ...store, '--public-key', publicFile)).code).toBe(0);
  });
});
