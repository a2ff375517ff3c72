// What the consumer test checks in an installed project: what importing the package loads, how the
// quick start answers, and what it stored.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * The default install holds no ASN data, and importing the package root loads no native module,
 * no SQLite driver and no GeoIP data (a fresh process: nothing else has loaded them).
 */
export async function checkImportLoadsNothingHeavy(base) {
  check(!existsSync(join(base, 'node_modules/@ip-location-db')), 'the ASN data was installed');
  const probe = `
    import { createRequire } from 'node:module';
    await import('express-privacy-log');
    const native = process.report.getReport().sharedObjects.filter((f) => f.endsWith('.node'));
    const heavy = Object.keys(createRequire(import.meta.url).cache).filter((f) =>
      /node_modules\\/(better-sqlite3|geoip-lite|tldts)\\//.test(f));
    console.log(JSON.stringify({ native, heavy }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: base,
  });
  const { native, heavy } = JSON.parse(stdout);
  check(native.length === 0, `import loaded native modules: ${native.join(', ')}`);
  check(heavy.length === 0, `import loaded heavy packages: ${heavy.join(', ')}`);
}

async function until(url, deadline) {
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no answer from ${url}: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Serve the quick start a status request, a page, and the contact form with and without a body. */
export async function exchange(base) {
  const status = await until(`${base}/privacy/status`, Date.now() + 20_000);
  check(status.status === 200, `GET /privacy/status answered ${status.status}`);
  const page = await fetch(`${base}/`);
  check(page.status === 404, `GET / answered ${page.status}`);
  const empty = await fetch(`${base}/contact`, { method: 'POST' });
  check(empty.status === 200, `POST /contact without a body answered ${empty.status}`);
  const form = await fetch(`${base}/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'name=Ada+Lovelace&email=ada%40example.com',
  });
  check(form.status === 200, `POST /contact answered ${form.status}`);
  check((await form.text()) === 'Thank you', 'POST /contact did not thank the visitor');
}

/**
 * The records the quick start wrote to its default SQLite file: one per request, the address cut
 * to its network, and nothing of what the form sent (the gdpr preset keeps form fields only with
 * consent, which these requests never gave).
 */
export async function checkStored(dir) {
  const Database = createRequire(join(dir, 'x.js'))('better-sqlite3');
  const file = join(dir, 'access-log.sqlite');
  check(existsSync(file), `no access-log.sqlite in ${dir}`);
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('select record from access_records').all();
    const records = rows.map((row) => JSON.parse(row.record));
    const requests = records.map(
      (r) => `${r.essential.method} ${r.essential.path} ${r.essential.status}`,
    );
    check(records.length === 4, `expected 4 records, found: ${requests.join('; ')}`);
    check(requests.filter((r) => r === 'POST /contact 200').length === 2, requests.join('; '));
    // The Host header is the site's own name (here 127.0.0.1:port), not the visitor's address.
    const text = JSON.stringify(
      records.map((r) => ({ ...r, essential: { ...r.essential, host: undefined } })),
    );
    check(!text.includes('127.0.0.1'), 'a record holds the full address');
    check(
      records.every((r) => r.client?.ip === '127.0.0.0'),
      'the address is not cut to /24',
    );
    for (const sent of ['Ada', 'Lovelace', 'ada@example.com']) {
      check(!text.includes(sent), `a record holds "${sent}" without consent`);
    }
    check(
      records.every((r) => r.optional === undefined),
      'a record holds optional data',
    );
  } finally {
    db.close();
  }
}
