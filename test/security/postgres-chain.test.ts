import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import pg from 'pg';
import request from 'supertest';
import { afterAll, expect, it } from 'vitest';
import { presets, privacyLog } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { readAll } from '../../src/security/api.js';
import { verifyChains } from '../../src/security/verify.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

const SQLMAP = 'sqlmap/1.7.2#stable (https://sqlmap.org)';

serviceSuite('PG_URL', 'security records on PostgreSQL, two processes sharing one table', (url) => {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const table = uniqueName('epl_security');
  const keys = generateKeyPairSync('ed25519');
  afterAll(async () => {
    await pool.query(
      `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_consents", "${table}_schema" CASCADE`,
    );
    await pool.end();
  });

  /** One app instance ("process") with its own logger, writing to the shared table. */
  function instance() {
    const log = privacyLog({
      policy: presets.gdpr,
      store: new PostgresStore({ pool, table }),
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
      batch: { maxDelayMs: 5 },
      retention: { enabled: false },
      security: { signingKey: keys.privateKey },
    });
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(log);
    app.get('/products', (_req, res) => {
      res.send('ok');
    });
    app.post('/login', (_req, res) => {
      res.status(401).send('no');
    });
    return { app, log };
  }

  async function stored(): Promise<AccessRecord[]> {
    const store = new PostgresStore({ pool, table });
    await store.init();
    return readAll(store);
  }

  it('flags a scripted attack end to end, keeps evidence only for it, and verifies; edits are named', async () => {
    const one = instance();
    const two = instance();
    const injection = '/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--';
    await request(one.app).get(injection).set('User-Agent', SQLMAP);
    await request(two.app).get('/products/../../etc/passwd');
    await request(one.app).get('/.env');
    for (let i = 1; i <= 10; i++)
      await request(two.app).post('/login').set('X-Forwarded-For', `198.51.100.${i}`);
    await request(one.app).get('/products?id=42').set('User-Agent', 'Mozilla/5.0 Firefox/128.0');
    await one.log.flush();
    await two.log.flush();

    const records = await stored();
    const flagged = records.filter((r) => r.security);
    expect(flagged.map((r) => r.security!.reasons).sort()).toEqual(
      [
        ['auth-failure-burst'],
        ['path-traversal', 'sensitive-path'],
        ['sensitive-path'],
        ['sql-injection', 'attack-tool'],
      ].sort(),
    );
    const sqli = flagged.find((r) => r.security!.reasons.includes('sql-injection'))!;
    expect(sqli.security).toMatchObject({ target: injection, userAgent: SQLMAP });
    expect(sqli.security!.port).toEqual(expect.any(Number));
    const plain = JSON.stringify(records.find((r) => r.essential.status === 200 && !r.security));
    for (const absent of ['id=42', 'Firefox/128.0', '"port"', '"target"', '"headers"'])
      expect(plain).not.toContain(absent);

    // Two loggers, two chains, no lock between them.
    const report = verifyChains(records, keys.publicKey);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.chains).toHaveLength(2);
    expect((await one.log.security.verify()).ok).toBe(true);

    await pool.query(
      `UPDATE "${table}" SET record = jsonb_set(record::jsonb, '{essential,status}', '500')::json WHERE id = $1`,
      [sqli.id],
    );
    const after = verifyChains(await stored(), keys.publicKey);
    expect(after.ok).toBe(false);
    expect(after.problems).toEqual([expect.objectContaining({ kind: 'edited', id: sqli.id })]);
    await one.log.close();
    await two.log.close();
  });
});
