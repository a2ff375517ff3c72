import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { presets, privacyLog } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';

const SQLMAP = 'sqlmap/1.7.2#stable (https://sqlmap.org)';

/** A small site with a login that fails, attacked by a script and visited by one ordinary person. */
function attackedSite() {
  const store = new MemoryStore();
  const log = privacyLog({
    policy: presets.gdpr,
    store,
    secret: SECRET,
    logger: spyLogger(),
    batch: { maxDelayMs: 5 },
    warnings: false,
  });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(log);
  app.get('/products', (_req, res) => {
    res.send('products');
  });
  app.post('/login', (_req, res) => {
    res.status(401).send('no');
  });
  return { app, log, store };
}

describe('a scripted attack is flagged automatically and keeps its evidence', () => {
  const { app, log, store } = attackedSite();
  afterAll(() => log.close());

  it('flags each attack with its reason code; an ordinary record in the same run keeps no evidence', async () => {
    const injection = '/products?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--';
    await request(app).get(injection).set('User-Agent', SQLMAP).set('Cookie', 'session=s3cr3t');
    await request(app).get('/products/../../etc/passwd').set('Authorization', 'Bearer tok');
    await request(app).get('/.env');
    for (let i = 1; i <= 10; i++)
      await request(app).post('/login').set('X-Forwarded-For', `203.0.113.${i}`);
    const ordinary = await request(app)
      .get('/products?id=42&utm_source=mail')
      .set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0')
      .set('Accept-Language', 'de');
    expect(ordinary.status).toBe(200);
    await log.flush();
    const records: readonly AccessRecord[] = store.records;
    const byTarget = (t: string) => records.find((r) => r.security?.target === t);

    const sqli = byTarget(injection)!;
    expect(sqli.security!.reasons).toEqual(['sql-injection', 'attack-tool']);
    expect(sqli.essential.path).toBe('/products');
    expect(sqli.security!.userAgent).toBe(SQLMAP);
    expect(sqli.security!.port).toEqual(expect.any(Number));
    expect(sqli.security!.httpVersion).toBe('1.1');
    expect(sqli.security!.headers).toMatchObject({ host: expect.any(String) });
    expect(sqli.security!.headers).not.toHaveProperty('cookie');

    const traversal = records.find((r) => r.security?.reasons.includes('path-traversal'))!;
    expect(traversal.security!.target).toContain('etc/passwd');
    expect(JSON.stringify(traversal)).not.toContain('Bearer');

    expect(byTarget('/.env')!.security!.reasons).toEqual(['sensitive-path']);

    const logins = records.filter((r) => r.essential.path === '/login');
    expect(logins).toHaveLength(10);
    // The tenth failure from one /24 within a minute reaches the default threshold of ten.
    expect(logins.filter((r) => r.security).map((r) => r.security!.reasons)).toEqual([
      ['auth-failure-burst'],
    ]);
    // Behind the trusted proxy, the socket's port is the proxy's: it is not kept.
    expect(logins.find((r) => r.security)!.security).not.toHaveProperty('port');

    const plain = records.find((r) => r.essential.status === 200 && !r.security)!;
    const stored = JSON.stringify(plain);
    expect(plain.essential.path).toBe('/products');
    expect(stored).not.toContain('utm_source');
    expect(stored).not.toContain('id=42');
    expect(stored).not.toContain('Firefox/128.0');
    expect(stored).not.toContain('"port"');
    expect(stored).not.toContain('"headers"');
    expect(stored).not.toContain('"security"');
    for (const r of records) expect(JSON.stringify(r)).not.toContain('s3cr3t');
  });
});
