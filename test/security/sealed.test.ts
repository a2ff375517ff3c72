import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePolicy, presets, privacyLog } from '../../src/index.js';
import { readAll } from '../../src/security/api.js';
import { openSealed, SealError } from '../../src/security/seal.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'epl-sealed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const investigator = generateKeyPairSync('x25519');
const stranger = generateKeyPairSync('x25519');
const path = join(dir, 'sealed.sqlite');
const ADDRESS = '203.0.113.77';

const { client: _client, ...categories } = presets.gdpr.categories;
const policy = definePolicy({
  ...presets.gdpr,
  name: 'sealed',
  categories: { ...categories, security: { ...categories.security!, ip: 'sealed' } },
});

describe("sealed addresses: only the investigator's key opens them", () => {
  let id = '';
  beforeAll(async () => {
    const log = privacyLog({
      policy,
      store: new SqliteStore({ path }),
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
      batch: { maxDelayMs: 5 },
      security: { investigatorKey: investigator.publicKey },
    });
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(log);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    await request(app).get('/.git/config').set('X-Forwarded-For', ADDRESS);
    await request(app).get('/').set('X-Forwarded-For', ADDRESS);
    await log.close();
    const reader = new SqliteStore({ path });
    await reader.init();
    const records = await readAll(reader);
    await reader.close();
    const flagged = records.find((r) => r.security)!;
    id = flagged.id;
    expect(flagged.security!.sealedIp).toMatch(/^x25519\.v1\./);
    expect(flagged.security).not.toHaveProperty('ip');
  });

  it('stores no form of the address, in any byte of the database', () => {
    for (const file of [path, `${path}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      for (const form of [ADDRESS, '203.0.113', '::ffff:203.0.113.77', 'cb00714d', 'ywBxTQ']) {
        expect(bytes.includes(Buffer.from(form)), `${form} in ${file}`).toBe(false);
      }
      expect(bytes.includes(Buffer.from([203, 0, 113, 77]))).toBe(false);
    }
  });

  it('the command line opens it with the right key and fails cleanly with another', async () => {
    const right = join(dir, 'investigator.pem');
    const wrong = join(dir, 'stranger.pem');
    writeFileSync(right, investigator.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(wrong, stranger.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const opened = await cli('open', '--store', `sqlite:${path}`, '--private-key', right);
    expect(opened).toMatchObject({ code: 0, stdout: `${id} ${ADDRESS}\n` });
    const refused = await cli('open', '--store', `sqlite:${path}`, '--private-key', wrong);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('does not open with this key');
    expect(refused.stderr).not.toContain(ADDRESS);
  });

  it('a sealed value moved to another record does not open', async () => {
    const reader = new SqliteStore({ path });
    await reader.init();
    const sealed = (await readAll(reader)).find((r) => r.id === id)!.security!.sealedIp!;
    await reader.close();
    expect(openSealed(sealed, investigator.privateKey, id)).toBe(ADDRESS);
    expect(() =>
      openSealed(
        sealed,
        investigator.privateKey,
        `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`,
      ),
    ).toThrow(SealError);
  });
});
