import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Library from '../../src/index.js';
import { consentCookie } from '../helpers/consent.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = join(ROOT, 'examples/basic/server.js');
const SECRET = 'example-test-secret-0123456789-abcdefghij';

interface ExampleModule {
  createApp(options: { store?: Library.Store; secret?: string; policy?: Library.PolicyInput }): {
    app: Express;
    logger: Library.PrivacyLogMiddleware;
  };
}

// The example imports the library by its package name, which resolves to the build in dist/
// (`npm test` builds first). The library is loaded the same way here, so the MemoryStore handed to
// the example comes from the same module. The specifiers are variables so that type checking does
// not need dist/: the types come from src/.
if (!existsSync(join(ROOT, 'dist/index.js'))) {
  throw new Error('dist/ is missing: run `npm run build` first (the example imports the build)');
}
const libraryName = 'express-privacy-log';
const exampleUrl = new URL('../../examples/basic/app.js', import.meta.url).href;
const library = (await import(libraryName)) as typeof Library;
const { createApp } = (await import(exampleUrl)) as ExampleModule;

describe('example app', () => {
  const store = new library.MemoryStore();
  const { app, logger } = createApp({ store, secret: SECRET });
  afterAll(() => logger.close());

  async function lastRecord(): Promise<Library.AccessRecord> {
    await logger.flush();
    const record = store.records.at(-1);
    if (record === undefined) throw new Error('no record stored');
    return record;
  }

  it('home page links the products, the contact form and the privacy page', async () => {
    const res = await request(app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    for (const href of ['/products/1', '/contact', '/privacy']) {
      expect(res.text).toContain(`href="${href}"`);
    }
    const record = await lastRecord();
    expect(record.policy).toBe('gdpr@1');
    expect(record.essential).toMatchObject({ method: 'GET', path: '/', route: '/', status: 200 });
  });

  it('serves the traffic dashboard at /stats to the demo password only', async () => {
    const refused = await request(app).get('/stats/');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Basic/);
    const wrong = await request(app).get('/stats/').auth('owner', 'guess');
    expect(wrong.status).toBe(401);
    const res = await request(app).get('/stats/').auth('owner', 'demo');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<svg id="chart"');
  });

  it('product page is recorded with its route template; an unknown product is a 404', async () => {
    const res = await request(app).get('/products/2');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Teapot');
    expect((await lastRecord()).essential).toMatchObject({
      path: '/products/2',
      route: '/products/:id',
      status: 200,
    });

    const missing = await request(app).get('/products/<b>99</b>');
    expect(missing.status).toBe(404);
    expect(missing.text).not.toContain('<b>');
    expect((await lastRecord()).essential.status).toBe(404);
  });

  it('contact page shows a form with name, e-mail and message', async () => {
    const res = await request(app).get('/contact');
    expect(res.status).toBe(200);
    for (const field of ['name="name"', 'name="email"', 'name="message"']) {
      expect(res.text).toContain(field);
    }
  });

  const form = { name: 'Ann Example', email: 'ann@example.org', message: 'private words' };

  it('contact form: without consent nothing optional is kept', async () => {
    const res = await request(app).post('/contact').type('form').send(form);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Nothing you sent was added to the access log.');
    const record = await lastRecord();
    expect(record).not.toHaveProperty('optional');
    expect(JSON.stringify(record)).not.toContain('ann@example.org');
  });

  it('contact form: with consent name and e-mail are kept, never the message', async () => {
    const res = await request(app)
      .post('/contact')
      .set('Cookie', consentCookie())
      .type('form')
      .send(form);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Recorded with this request: name, email.');
    const record = await lastRecord();
    expect(record.essential).toMatchObject({ method: 'POST', path: '/contact' });
    expect(record.optional).toEqual({ name: 'Ann Example', email: 'ann@example.org' });
    expect(JSON.stringify(record)).not.toContain('private words');
  });

  it('contact form: with Sec-GPC: 1 nothing optional is kept', async () => {
    const res = await request(app).post('/contact').set('Sec-GPC', '1').type('form').send(form);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Nothing you sent was added to the access log.');
    const record = await lastRecord();
    expect(record.essential.path).toBe('/contact');
    expect(record).not.toHaveProperty('optional');
    expect(record.consent).toMatchObject({ analytics: false, gpc: true });
  });

  it('privacy page shows the decision in words, the two forms and the links', async () => {
    const res = await request(app).get('/privacy').set('Sec-GPC', '1');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<dt>Analytics</dt><dd>off</dd>');
    expect(res.text).toContain('<dt>Basis</dt><dd>none, so no analytics data is recorded</dd>');
    expect(res.text).toContain('<dt>GPC seen</dt><dd>yes</dd>');
    expect(res.text).toContain('<dt>DNT seen</dt><dd>no</dd>');
    expect(res.text).toContain('<dt>Your choice</dt><dd>none recorded</dd>');
    expect(res.text).toContain('action="/privacy/opt-out"');
    expect(res.text).toContain('action="/privacy/opt-in"');
    expect(res.text).toContain('href="/privacy/status"');
    expect(res.text).toContain('href="/.well-known/gpc.json"');
  });

  it('the opt-in form redirects back with 303, and the privacy page then shows the consent', async () => {
    const res = await request(app)
      .post('/privacy/opt-in')
      .set('Host', 'shop.example')
      .set('Referer', 'http://shop.example/privacy')
      .type('form')
      .send('');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/privacy');
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(cookies.some((c) => c.startsWith(`${consentCookie()};`))).toBe(true);

    const after = await request(app).get('/privacy').set('Cookie', consentCookie());
    expect(after.text).toContain('<dt>Analytics</dt><dd>on</dd>');
    expect(after.text).toContain('<dt>Basis</dt><dd>your consent</dd>');
    expect(after.text).toContain('<dt>Your choice</dt><dd>you opted in</dd>');
  });

  it('the opt-out form redirects back with 303 too', async () => {
    const res = await request(app)
      .post('/privacy/opt-out')
      .set('Host', 'shop.example')
      .set('Referer', 'http://shop.example/privacy')
      .type('form')
      .send('');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/privacy');
  });
});

/** Resolves with the base URL once the server prints its "listening on" line. */
function listeningUrl(child: ChildProcessWithoutNullStreams, output: { text: string }) {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${output.text}`)), 15_000);
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/localhost:\d+\/)/.exec(output.text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output.text}`));
    });
  });
}

describe('examples/basic/server.js', () => {
  let dir = '';
  let child: ChildProcessWithoutNullStreams | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'epl-example-'));
  });
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves pages, flushes on SIGTERM and leaves the records in ./access-log.sqlite', async () => {
    const { PORT: _port, POLICY: _policy, ...env } = process.env;
    child = spawn(process.execPath, [SERVER], {
      cwd: dir,
      env: { ...env, PORT: '0', COOKIE_SECRET: SECRET },
    });
    const output = { text: '' };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output.text += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output.text += chunk;
    });
    const base = await listeningUrl(child, output);
    expect(output.text).toContain(join(dir, 'access-log.sqlite'));

    const paths = ['/', '/products/1', '/privacy'];
    for (const path of paths) {
      const res = await fetch(new URL(path, base));
      expect(res.status).toBe(200);
      await res.text();
    }

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code, output.text).toBe(0);
    expect(output.text).toContain('3 records written, 0 dropped');

    const db = new Database(join(dir, 'access-log.sqlite'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      const rows = db.prepare('select record from access_records order by time').all() as {
        record: string;
      }[];
      const records = rows.map((row) => JSON.parse(row.record) as Library.AccessRecord);
      expect(records.map((r) => r.essential.path)).toEqual(paths);
      // The raw loopback address never reaches the file: gdpr truncates it.
      expect(records.every((r) => r.client?.ip !== '127.0.0.1')).toBe(true);
    } finally {
      db.close();
    }
  });
});
