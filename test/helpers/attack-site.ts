import type { KeyObject } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { type DefinedPolicy, privacyLog } from '../../src/index.js';
import type { Store } from '../../src/stores/store.js';
import { fakeReverse, SECRET, setCookies, spyLogger } from './app.js';

export const SQLMAP = 'sqlmap/1.7.2#stable (https://sqlmap.org)';
export const INJECTION = '/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--';

/**
 * A site under attack: the logger (with the privacy routes, chains signed with `signingKey`) in
 * front of a product page and a login that always refuses.
 */
export function attackSite(policy: DefinedPolicy, store: Store, signingKey: KeyObject) {
  const log = privacyLog({
    policy,
    store,
    secret: SECRET,
    logger: spyLogger(),
    warnings: false,
    batch: { maxDelayMs: 5 },
    retention: { enabled: false },
    // No reverse lookups over the network: the documentation addresses have no names anyway.
    enrich: { reverse: fakeReverse },
    security: { signingKey },
  });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(log);
  app.use(log.router());
  app.get('/products', (_req, res) => {
    res.send('ok');
  });
  app.post('/login', (_req, res) => {
    res.status(401).send('no');
  });
  return { log, app };
}

/**
 * The scripted attack: a first visit for a visitor cookie, then with it a sqlmap injection, a
 * traversal to /etc/passwd and /.env; ten refused logins from one /24 behind the proxy. Returns
 * the attacker's cookie (`pl_vid=...`).
 */
export async function scriptedAttack(app: express.Express): Promise<string> {
  const first = await request(app).get('/products');
  const cookie = setCookies(first)
    .find((c) => c.startsWith('pl_vid='))!
    .split(';')[0]!;
  await request(app).get(INJECTION).set('User-Agent', SQLMAP).set('Cookie', cookie);
  await request(app).get('/products/../../etc/passwd').set('Cookie', cookie);
  await request(app).get('/.env').set('Cookie', cookie);
  for (let i = 1; i <= 10; i++)
    await request(app).post('/login').set('X-Forwarded-For', `198.51.100.${i}`);
  return cookie;
}
