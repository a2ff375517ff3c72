import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePolicy, presets, type privacyLog } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { readAll } from '../../src/security/api.js';
import { canonicalJson } from '../../src/security/canonical.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { attackSite, INJECTION, SQLMAP, scriptedAttack } from '../helpers/attack-site.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'epl-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keys = generateKeyPairSync('ed25519');
const publicFile = join(dir, 'signing.pub.pem');
const privateFile = join(dir, 'signing.pem');
writeFileSync(publicFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
writeFileSync(privateFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const database = join(dir, 'log.sqlite');
const STORE = `sqlite:${database}`;
const policy = definePolicy({ ...presets.classic, name: 'bundle-test' });

const who = ['--by', 'J. Doe, security officer', '--recipient', 'Police, case 2026-117'];
const basis = ['--basis', 'Art. 6(1)(c) GDPR; production order of 2026-11-30'];
/** `evidence export` of one incident from the test's store, by the officer to the police. */
const exportIncident = (
  incident: string,
  out: string,
  key: 'public-key' | 'signing-key',
  file: string,
) =>
  cli(
    'evidence',
    'export',
    '--store',
    STORE,
    '--incident',
    incident,
    '--out',
    out,
    ...who,
    ...basis,
    `--${key}`,
    file,
  );
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('evidence bundles: export, offline verification, the disclosure register', () => {
  let log: ReturnType<typeof privacyLog>;
  let app: express.Express;
  let cookie = '';
  let records: AccessRecord[] = [];
  const bundle = join(dir, 'sqli');

  beforeAll(async () => {
    ({ log, app } = attackSite(policy, new SqliteStore({ path: database }), keys.privateKey));
    cookie = await scriptedAttack(app);
    await log.flush();
  });
  afterAll(() => log.close());

  async function stored(): Promise<AccessRecord[]> {
    const store = new SqliteStore({ path: database });
    await store.init();
    try {
      return await readAll(store);
    } finally {
      await store.close();
    }
  }

  it('writes a bundle (0700 directory, 0600 files) that verifies offline, and registers it', async () => {
    records = await stored();
    const sqli = records.filter((r) => r.security?.reasons.includes('sql-injection'));
    expect(sqli).toHaveLength(1);
    const out = await exportIncident('sql-injection', bundle, 'public-key', publicFile);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(statSync(bundle).mode & 0o777).toBe(0o700);
    const files = readdirSync(bundle).sort();
    expect(files).toEqual([
      'MANIFEST.sha256',
      'README.txt',
      'bundle.json',
      'checkpoints.ndjson',
      'links.ndjson',
      'records.ndjson',
      'signing-key.pub.pem',
    ]);
    for (const f of files) expect(statSync(join(bundle, f)).mode & 0o777).toBe(0o600);
    // The incident's record, whole, and nothing of the other flagged requests.
    const lines = readFileSync(join(bundle, 'records.ndjson'), 'utf8').trim().split('\n');
    expect(lines).toEqual([canonicalJson(sqli[0])]);
    expect(JSON.parse(lines[0]!).security).toMatchObject({ target: INJECTION, userAgent: SQLMAP });
    expect(readFileSync(join(bundle, 'links.ndjson'), 'utf8')).toBe('');
    const about = JSON.parse(readFileSync(join(bundle, 'bundle.json'), 'utf8'));
    expect(about).toMatchObject({
      policies: [sqli[0]!.policy],
      library: expect.stringMatching(/^express-privacy-log@\d/),
      records: 1,
      checkpoints: 1,
    });
    for (const other of records.filter((r) => r.security && r.id !== sqli[0]!.id))
      for (const f of files) expect(readFileSync(join(bundle, f), 'utf8')).not.toContain(other.id);

    const verified = await cli('evidence', 'verify', bundle, '--public-key', publicFile);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('verified: 1 record(s), 1 proved');

    const register = await cli('disclosures', '--store', STORE, '--json');
    expect(register.code).toBe(0);
    expect(JSON.parse(register.stdout)).toEqual([
      expect.objectContaining({
        by: 'J. Doe, security officer',
        recipient: 'Police, case 2026-117',
        basis: 'Art. 6(1)(c) GDPR; production order of 2026-11-30',
        scope: { incident: 'sql-injection', kind: 'reason', ids: [sqli[0]!.id] },
        manifest: sha256(readFileSync(join(bundle, 'MANIFEST.sha256'))),
      }),
    ]);
    const listed = await cli('disclosures', '--store', STORE);
    expect(listed.stdout).toContain('to Police, case 2026-117');
  });

  it('fails when one byte of any file changes, naming the file', async () => {
    const manifest = sha256(readFileSync(join(bundle, 'MANIFEST.sha256')));
    expect((await cli('evidence', 'verify', bundle, '--manifest-sha256', manifest)).code).toBe(0);
    for (const file of readdirSync(bundle)) {
      const size = statSync(join(bundle, file)).size;
      for (const at of [0, Math.floor(size / 2), size - 1]) {
        const copy = join(dir, `flip-${file}-${at}`);
        cpSync(bundle, copy, { recursive: true });
        const bytes = readFileSync(join(copy, file));
        // An empty file has no byte to change: one is added instead.
        if (size === 0) writeFileSync(join(copy, file), '\n');
        else {
          bytes[at] = bytes[at]! ^ 0x01;
          writeFileSync(join(copy, file), bytes);
        }
        const result = await cli('evidence', 'verify', copy, '--public-key', publicFile);
        expect(result.code, `${file} byte ${at}`).toBe(1);
        // A changed line of the manifest and a changed file look alike; the line names both.
        expect(result.stdout, `${file} byte ${at}`).toMatch(
          new RegExp(`FAILED .*${file.replace('.', '\\.')}`),
        );
        if (file === 'MANIFEST.sha256') {
          const pinned = await cli('evidence', 'verify', copy, '--manifest-sha256', manifest);
          expect(pinned.stdout).toContain('FAILED MANIFEST.sha256: its SHA-256 is not the one');
        }
      }
    }
  });

  it('names an edited record even when the manifest was rewritten to match', async () => {
    const copy = join(dir, 'rewritten');
    cpSync(bundle, copy, { recursive: true });
    const record = JSON.parse(readFileSync(join(copy, 'records.ndjson'), 'utf8'));
    record.essential.status = 500;
    writeFileSync(join(copy, 'records.ndjson'), `${canonicalJson(record)}\n`);
    const manifest = readdirSync(copy)
      .filter((f) => f !== 'MANIFEST.sha256')
      .sort()
      .map((f) => `${sha256(readFileSync(join(copy, f)))}  ${f}\n`)
      .join('');
    writeFileSync(join(copy, 'MANIFEST.sha256'), manifest);
    const result = await cli('evidence', 'verify', copy, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ file: 'records.ndjson', id: record.id })]),
    );
    // A key other than the sender's: the bundle's own key no longer counts.
    const other = join(dir, 'other.pub.pem');
    writeFileSync(
      other,
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const wrong = await cli('evidence', 'verify', bundle, '--public-key', other);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('FAILED signing-key.pub.pem');
  });

  it('refuses a non-empty directory, and the chain head without the signing key; writes and registers nothing', async () => {
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    const refused = await exportIncident('sql-injection', busy, 'public-key', publicFile);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not empty');
    expect(readdirSync(busy)).toEqual(['notes.txt']);
    // The burst's last record is the newest of its chain: no stored checkpoint covers it yet.
    const head = join(dir, 'burst');
    const unsigned = await exportIncident('auth-failure-burst', head, 'public-key', publicFile);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain('signing key');
    expect(existsSync(head)).toBe(false);
    const missing = await cli(
      'evidence',
      'export',
      '--store',
      STORE,
      '--incident',
      'sql-injection',
      '--out',
      join(dir, 'x'),
      '--by',
      'me',
      ...basis,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--recipient');
    expect(JSON.parse((await cli('disclosures', '--store', STORE, '--json')).stdout)).toHaveLength(
      1,
    );

    const signed = await exportIncident('auth-failure-burst', head, 'signing-key', privateFile);
    expect(signed.code).toBe(0);
    const checkpoints = readFileSync(join(head, 'checkpoints.ndjson'), 'utf8');
    expect(checkpoints).toContain('"from":"export"');
    expect((await cli('evidence', 'verify', head, '--public-key', publicFile)).code).toBe(0);
  });

  it("the register outlives the attacker's erasure and is not in my-data; the erase reply tips no one off", async () => {
    // A hold placed later on an ordinary record of the attacker: exported by its hold id.
    const ordinary = (await stored()).find((r) => !r.security && r.nonessential?.visitorId)!;
    const placed = await log.security.flag({ ids: [ordinary.id] }, 'IDS alert 4711');
    const out = join(dir, 'by-hold');
    const result = await log.security.exportEvidence({
      incident: placed.hold.id,
      out,
      by: 'J. Doe',
      recipient: 'CERT',
      basis: 'legitimate interest in defending the site',
    });
    expect(result).toMatchObject({ records: 1, unchained: [ordinary.id] });
    const verified = await cli('evidence', 'verify', out, '--public-key', publicFile);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('1 record(s) in no hash chain');

    const erased = await request(app).post('/privacy/erase').set('Cookie', cookie);
    expect(erased.status).toBe(200);
    // Three flagged records and one under a security hold stay; the visitor is told of none.
    expect(erased.body).toMatchObject({ ok: true, held: 0 });
    const page = await request(app)
      .post('/privacy/erase')
      .set('Cookie', cookie)
      .set('Accept', 'text/html')
      .type('form')
      .send({});
    expect(page.text).not.toMatch(/\d+ records? (is|are) kept/);
    const left = (await stored()).filter(
      (r) => r.nonessential?.visitorId === ordinary.nonessential!.visitorId,
    );
    expect(left.length).toBe(4);

    const mine = await request(app).get('/privacy/my-data').set('Cookie', cookie);
    for (const entry of (await log.security.disclosures())[0]!.entries) {
      expect(mine.text).not.toContain(entry.id);
      expect(mine.text).not.toContain(entry.manifest);
    }
    expect(JSON.parse((await cli('disclosures', '--store', STORE, '--json')).stdout)).toHaveLength(
      3,
    );
  });
});
