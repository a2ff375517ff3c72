import { existsSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { requireBuiltCli, runCli } from '../helpers/cli.js';
import { isoAfter, makeRecord } from '../helpers/records.js';

const PAST = '2020-01-01T00:00:00.000Z';
const FUTURE = '2099-01-01T00:00:00.000Z';

let dir: string;

const cli = (...args: string[]) => runCli({ cwd: dir }, ...args);

async function seed(records: AccessRecord[], file = 'access-log.sqlite'): Promise<void> {
  const store = new SqliteStore({ path: join(dir, file) });
  await store.init();
  await store.write(records);
  await store.close();
}

async function stored(file = 'access-log.sqlite'): Promise<AccessRecord[]> {
  const store = new SqliteStore({ path: join(dir, file) });
  await store.init();
  const out: AccessRecord[] = [];
  for await (const record of store.read({})) out.push(record);
  await store.close();
  return out;
}

beforeAll(requireBuiltCli);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-cli-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('express-privacy-log on a SQLite file', () => {
  it('purges: drops expired categories, then records with nothing left', async () => {
    const alive = makeRecord({ expires: { client: PAST, essential: FUTURE } });
    const gone = makeRecord({ expires: { client: PAST, nonessential: PAST, essential: PAST } });
    const fresh = makeRecord({ expires: { client: FUTURE, essential: FUTURE } });
    await seed([alive, gone, fresh]);

    const run = await cli('purge');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(
      'Categories removed: client 2, nonessential 1, optional 0, security 0.',
    );
    expect(run.stdout).toContain('Records deleted: 1.');
    const left = await stored();
    expect(left.map((r) => r.id)).toEqual([alive.id, fresh.id]);
    expect(left[0]).not.toHaveProperty('client');
    expect(left[1]).toHaveProperty('client');

    const again = await cli(
      'purge',
      '--json',
      '--store',
      `sqlite:${join(dir, 'access-log.sqlite')}`,
    );
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ removed: { client: 0 }, deleted: 0 });
  });

  it('exports a subject as JSON, to standard output or a private file', async () => {
    const mine = [
      makeRecord({ nonessential: { visitorId: 'alice' } }),
      makeRecord({ nonessential: { visitorId: 'alice' } }),
    ];
    await seed([...mine, makeRecord({ nonessential: { visitorId: 'bob' } })]);
    const run = await cli('export', '--subject', 'visitor:alice');
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body).toMatchObject({ count: 2, held: 0 });
    expect(body.records.map((r: { record: AccessRecord }) => r.record)).toEqual(mine);

    const toFile = await cli('export', '--subject', 'alice', '--out', 'alice.json');
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe('');
    expect(toFile.stderr).toContain('Exported 2 records (0 held) to alice.json.');
    expect(JSON.parse(await readFile(join(dir, 'alice.json'), 'utf8')).count).toBe(2);
    expect((await stat(join(dir, 'alice.json'))).mode & 0o777).toBe(0o600);

    const nobody = await cli('export', '--subject', 'email:nobody@example.org');
    expect(JSON.parse(nobody.stdout)).toMatchObject({ records: [], count: 0 });
  });

  it('export --out replaces a world-readable file with a private one', async () => {
    await seed([makeRecord({ nonessential: { visitorId: 'alice' } })]);
    const target = join(dir, 'alice.json');
    await writeFile(target, 'old export\n', { mode: 0o644 });
    await chmod(target, 0o644);
    const run = await cli('export', '--subject', 'visitor:alice', '--out', 'alice.json');
    expect(run.code).toBe(0);
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(target, 'utf8')).count).toBe(1);
    expect(await readdir(dir)).toEqual(['access-log.sqlite', 'alice.json']);
  });

  it('export --out replaces a symlink at the target instead of writing through it', async () => {
    await seed([makeRecord({ nonessential: { visitorId: 'alice' } })]);
    const elsewhere = join(dir, 'elsewhere.txt');
    await writeFile(elsewhere, 'not yours\n', { mode: 0o644 });
    await symlink(elsewhere, join(dir, 'alice.json'));
    const run = await cli('export', '--subject', 'visitor:alice', '--out', 'alice.json');
    expect(run.code).toBe(0);
    expect(await readFile(elsewhere, 'utf8')).toBe('not yours\n');
    const target = await lstat(join(dir, 'alice.json'));
    expect(target.isSymbolicLink()).toBe(false);
    expect(target.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, 'alice.json'), 'utf8')).count).toBe(1);
  });

  it('export --out into a missing folder fails at once and leaves nothing behind', async () => {
    await seed([]);
    const run = await cli('export', '--subject', 'alice', '--out', 'no/such/dir/alice.json');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^express-privacy-log: cannot write no\/such\/dir\/alice\.json/);
    expect(await readdir(dir)).toEqual(['access-log.sqlite']);
  });

  it('erases a subject; a following export is empty', async () => {
    await seed([
      makeRecord({ optional: { email: 'Ann@Example.org' } }),
      makeRecord({ optional: { email: 'ann@example.org' } }),
      makeRecord(),
    ]);
    const run = await cli('erase', '--subject', 'ann@example.org');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('Erased 2 records from sqlite:./access-log.sqlite.\n');
    const after = await cli('export', '--subject', 'email:ANN@example.org');
    expect(JSON.parse(after.stdout).records).toEqual([]);
    expect(await stored()).toHaveLength(1);
  });

  it('exports and erases by address under a policy that keeps full addresses', async () => {
    const base = makeRecord();
    const mine = [
      makeRecord({ client: { ...base.client, ip: '203.0.113.7' } }),
      makeRecord({ client: { ...base.client, ip: '203.0.113.7' } }),
    ];
    await seed([...mine, makeRecord({ client: { ...base.client, ip: '203.0.113.8' } })]);
    // The mapped form a dual-stack socket reports names the same address.
    const run = await cli('export', '--subject', 'ip:::ffff:203.0.113.7', '--policy', 'classic');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).records.map((r: { record: AccessRecord }) => r.record)).toEqual(
      mine,
    );
    const erase = await cli('erase', '--subject', 'ip:203.0.113.7', '--policy', 'classic');
    expect(erase).toMatchObject({ code: 0, stderr: '' });
    expect(erase.stdout).toBe('Erased 2 records from sqlite:./access-log.sqlite.\n');
    expect((await stored()).map((r) => r.client?.ip)).toEqual(['203.0.113.8']);
  });

  it('refuses a subject by address, with the reason and exit 2, where addresses are truncated', async () => {
    const base = makeRecord();
    await seed([makeRecord({ client: { ...base.client, ip: '203.0.113.0' } })]);
    for (const command of ['export', 'erase']) {
      const run = await cli(command, '--subject', 'ip:203.0.113.0', '--policy', 'gdpr');
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/subject by address refused: .*truncated to \/24.*not one person/);
    }
    const hold = await cli(
      'holds',
      'add',
      '--subject',
      'ip:203.0.113.0',
      '--policy',
      'gdpr',
      '--reason',
      'x',
      '--review',
      'P1D',
    );
    expect(hold.code).toBe(2);
    const unknown = await cli('erase', '--subject', 'ip:203.0.113.0');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/needs --policy/);
    expect(await stored()).toHaveLength(1);
  });

  it('places, lists and releases legal holds that purge and erase respect', async () => {
    const held = makeRecord({
      nonessential: { visitorId: 'carol' },
      expires: { client: PAST, essential: PAST },
    });
    await seed([held, makeRecord({ expires: { client: PAST, essential: PAST } })]);
    const add = await cli(
      'holds',
      'add',
      '--id',
      'case-42',
      '--reason',
      'court order',
      '--review',
      'P30D',
      '--subject',
      'visitor:carol',
    );
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^Placed legal hold case-42 on 1 stored record/);

    const list = await cli('holds', 'list', '--json');
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ id: 'case-42', reason: 'court order', reviewDue: false }),
    ]);
    expect((await cli('holds', 'list')).stdout).toContain('scope: visitor carol');

    expect((await cli('purge')).stdout).toContain('Records deleted: 1.');
    const erase = await cli('erase', '--subject', 'visitor:carol');
    expect(erase.stdout).toContain('Erased 0 records');
    expect(erase.stdout).toContain('Kept 1 record under legal hold');
    expect((await stored()).map((r) => r.id)).toEqual([held.id]);

    expect((await cli('holds', 'release', 'case-42')).code).toBe(0);
    expect((await cli('purge')).stdout).toContain('Records deleted: 1.');
    expect(await stored()).toEqual([]);
    const again = await cli('holds', 'release', 'case-42');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('express-privacy-log: no legal hold with id "case-42"\n');
  });

  it('reports what the store keeps', async () => {
    await seed([
      makeRecord({ expires: { client: PAST, essential: FUTURE } }),
      makeRecord({
        time: isoAfter(Date.parse('2025-03-01T00:00:00.000Z'), 0),
        expires: { client: FUTURE, nonessential: FUTURE, essential: FUTURE },
      }),
    ]);
    const run = await cli('stats', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      records: 2,
      held: 0,
      categories: { client: 2, essential: 2, nonessential: 2 },
      expired: { client: 1 },
      oldest: expect.any(String),
      holds: 0,
    });
  });
});

describe('documents from a policy', () => {
  it('prints the notice of a preset, as Markdown or HTML', async () => {
    const md = await cli(
      'notice',
      '--policy',
      'gdpr',
      '--site',
      'Shop',
      '--contact',
      'privacy@shop.example',
    );
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# Privacy notice of Shop\n/);
    for (const heading of [
      'What is collected automatically',
      'Optional information',
      'How the information is used',
      'Cookies',
      'How long it is kept',
      'Your choices',
      'Security',
      'Contact',
    ]) {
      expect(md.stdout).toContain(`\n## ${heading}\n`);
    }
    const html = await cli(
      'notice',
      '-p',
      'classic',
      '--site',
      'Shop',
      '--contact',
      'x@y.z',
      '-f',
      'html',
    );
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain('indefinitely: there is no time limit');
  });

  it('loads a policy module and writes the record of processing', async () => {
    await writeFile(
      join(dir, 'my-policy.mjs'),
      `export default {
        name: 'mine',
        categories: {
          essential: { purposes: ['Serve pages'], basis: 'legitimate-interests', retention: 'P30D' },
        },
      };\n`,
    );
    const run = await cli(
      'processing-record',
      '--policy',
      './my-policy.mjs',
      '--controller',
      'Me Ltd',
      '--contact',
      'me@x.y',
      '--format',
      'json',
    );
    expect(run.code).toBe(0);
    const record = JSON.parse(run.stdout);
    expect(record.policy).toBe('mine@1');
    expect(record.activities).toEqual([
      expect.objectContaining({ category: 'essential', retentionText: '30 days' }),
    ]);
    await writeFile(
      join(dir, 'bad-policy.mjs'),
      `export default { name: 'bad', categories: {} };\n`,
    );
    const bad = await cli(
      'notice',
      '--policy',
      './bad-policy.mjs',
      '--site',
      'a',
      '--contact',
      'b',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^express-privacy-log: .*policy\.categories\.essential/);
  });
});

describe('mistakes and failures', () => {
  it('a wrong store URL exits non-zero with one clear line', async () => {
    for (const url of ['mysql://user:secret@db/app', 'access-log.sqlite', 'sqlite:']) {
      const run = await cli('purge', '--store', url);
      expect(run.code, url).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.split('\n')).toHaveLength(2); // one line and its newline
      expect(run.stderr).toMatch(/^express-privacy-log: .*(store URL|not a store URL)/);
      expect(run.stderr).not.toContain('secret');
    }
  });

  it('never prints a store password, whatever characters it holds or where it is', async () => {
    const cases: [string, string][] = [
      ['postgres://app:p@ss@127.0.0.1:1/db', 'ss@'],
      ['postgres://app:pa/ss@127.0.0.1:1/db', 'pa/ss'],
      ['postgres://app:pa%2Fss%40x@127.0.0.1:1/db', 'pa%2F'],
      ['postgres://127.0.0.1:1/db?password=hunter2', 'hunter2'],
      ['postgres://127.0.0.1:1/db?sslmode=disable&sslpassword=keypass', 'keypass'],
      ['redis://:p@ss@127.0.0.1:1', 'ss@'],
      ['redis://default:p/ss@127.0.0.1:1', 'p/ss'],
      ['redis://127.0.0.1:1?token=t0ken', 't0ken'],
    ];
    const runs = await Promise.all(cases.map(([url]) => cli('stats', '--store', url)));
    cases.forEach(([url, secret], i) => {
      const run = runs[i]!;
      expect(run.code, url).not.toBe(0);
      expect(run.stderr.trimEnd().split('\n'), url).toHaveLength(1);
      expect(run.stderr, url).not.toContain(secret);
    });
  }, 60_000);

  it('a missing database is a failure, not an empty result, and creates nothing', async () => {
    const run = await cli('stats', '--store', 'sqlite:./missing.sqlite');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'express-privacy-log: no access log here: no SQLite database at ./missing.sqlite (from the store URL "sqlite:./missing.sqlite")\n',
    );
    expect(existsSync(join(dir, 'missing.sqlite'))).toBe(false);
  });

  it('bad commands and options exit 2 with one line; help exits 0', async () => {
    await seed([]);
    const cases: string[][] = [
      ['frobnicate'],
      ['purge', '--bogus'],
      ['erase'],
      ['erase', '--subject', 'email:not-an-address'],
      ['holds', 'add', '--reason', 'x', '--review', 'P1D'],
      ['holds', 'add', '--reason', 'x', '--review', 'someday', '--all'],
      ['notice', '--policy', 'gdrp', '--site', 'a', '--contact', 'b'],
      ['processing-record', '--policy', 'gdpr'],
    ];
    for (const args of cases) {
      const run = await cli(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: express-privacy-log <command>');
    expect((await cli()).code).toBe(2);
    expect((await cli('--version')).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('says which driver is missing or which server is down for PostgreSQL and Redis', async () => {
    const pg = await cli('stats', '--store', 'postgres://nobody:pw@127.0.0.1:1/none');
    expect(pg.code).toBe(1);
    expect(pg.stderr).toMatch(
      /^express-privacy-log: cannot open the PostgreSQL store at postgres:\/\/nobody:\*\*\*@/,
    );
    const redis = await cli('stats', '--store', 'redis://127.0.0.1:1');
    expect(redis.code).toBe(1);
    expect(redis.stderr).toMatch(
      /^express-privacy-log: cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });
});
