import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import type { Store } from '../../src/stores/store.js';
import { type Run, requireBuiltCli, runCli } from '../helpers/cli.js';
import { makeRecord } from '../helpers/records.js';
import { serviceSuite, uniqueName } from '../helpers/services.js';

const HIDE = resolve('test/fixtures/hide-packages.mjs');
/** Each run is a process of its own: a test of several runs gets a minute on a busy machine. */
const RUNS = 60_000;

/** One kind of store, reached the way its docs configure it: never with the default name. */
interface Backend {
  /** The options that name the store, with its non-default table, prefix or path. */
  flags: string[];
  /** Options naming the same server or folder where no access log is. */
  elsewhere: string[];
  /** The store the test writes through, as an app would. */
  open(): Store;
  /** What exists where no log is, to compare before and after a command. */
  footprint(): Promise<string[]>;
  /** The optional package the store needs. */
  driver: string;
  cleanup(): Promise<void>;
}

let dir: string;
const cli = (...args: string[]) => runCli({ cwd: dir }, ...args);

beforeAll(async () => {
  requireBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'epl-cli-reach-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function seed(store: Store, records: AccessRecord[]): Promise<void> {
  await store.init?.();
  await store.write(records);
  await store.close?.();
}

function oneLine(run: Run): string {
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  return run.stderr;
}

/** Every finding about reaching a store, on one backend. */
function reachSuite(make: () => Promise<Backend>): void {
  let backend: Backend;

  beforeAll(async () => {
    backend = await make();
    await seed(backend.open(), [
      makeRecord({ nonessential: { visitorId: 'alice' } }),
      makeRecord({ nonessential: { visitorId: 'alice' } }),
      makeRecord({ nonessential: { visitorId: 'bob' } }),
    ]);
  });

  afterAll(async () => {
    await backend?.cleanup();
  });

  it(
    'reads and exports the log its table, prefix or path names',
    async () => {
      const stats = await cli('stats', '--json', ...backend.flags);
      expect(stats.stderr).toBe('');
      expect(JSON.parse(stats.stdout)).toMatchObject({ records: 3, holds: 0 });
      const exported = await cli('export', '--subject', 'visitor:alice', ...backend.flags);
      expect(exported.code).toBe(0);
      expect(JSON.parse(exported.stdout)).toMatchObject({ count: 2 });
    },
    RUNS,
  );

  it(
    'a read where no log is says so (exit 1) and creates nothing',
    async () => {
      const before = await backend.footprint();
      const reads = [
        ['stats'],
        ['export', '--subject', 'visitor:alice'],
        ['holds', 'list'],
        ['report'],
        ['verify'],
      ];
      for (const args of reads) {
        const run = await cli(...args, ...backend.elsewhere);
        expect(run.code, args.join(' ')).toBe(1);
        expect(oneLine(run)).toMatch(/^express-privacy-log: no access log here: /);
        expect(run.stdout).toBe('');
      }
      expect(await backend.footprint()).toEqual(before);
    },
    RUNS,
  );

  it(
    'refuses a subject of an unknown kind (exit 2), listing the accepted forms',
    async () => {
      const phone = await cli('export', '--subject', 'phone:123', ...backend.flags);
      expect(phone.code).toBe(2);
      expect(phone.stdout).toBe('');
      expect(oneLine(phone)).toContain(
        'unknown subject kind "phone:"; a subject is visitor:<id>, email:<address>, ip:<address>, or a bare e-mail address (with an @) or visitor id',
      );
      const typo = await cli('erase', '--subject', 'emial:ann@example.org', ...backend.flags);
      expect(typo.code).toBe(2);
      expect(oneLine(typo)).toContain('unknown subject kind "emial:" (did you mean "email:"?)');
      const stats = await cli('stats', '--json', ...backend.flags);
      expect(JSON.parse(stats.stdout).records).toBe(3);
    },
    RUNS,
  );

  it(
    'holds extend never moves a review earlier unless --force says so',
    async () => {
      const add = await cli(
        'holds',
        'add',
        '--id',
        'case-7',
        '--reason',
        'audit',
        '--review',
        'P90D',
        '--all',
        ...backend.flags,
      );
      expect(add.code).toBe(0);
      const reviewOf = async () =>
        JSON.parse((await cli('holds', 'list', '--json', ...backend.flags)).stdout)[0].reviewAt;
      const placed = await reviewOf();

      const shorter = await cli('holds', 'extend', 'case-7', '--review', 'P30D', ...backend.flags);
      expect(shorter.code).toBe(2);
      expect(shorter.stdout).toBe('');
      expect(oneLine(shorter)).toMatch(
        /--review P30D is \S+, earlier than the hold's review date \S+; give a later date, or add --force/,
      );
      expect(await reviewOf()).toBe(placed);

      const longer = await cli('holds', 'extend', 'case-7', '--review', 'P120D', ...backend.flags);
      expect(longer.stdout).toMatch(/^Extended legal hold case-7; review by \S+ \(was /);
      expect(Date.parse(await reviewOf())).toBeGreaterThan(Date.parse(placed));

      const forced = await cli(
        'holds',
        'extend',
        'case-7',
        '--review',
        'P30D',
        '--force',
        ...backend.flags,
      );
      expect(forced.code).toBe(0);
      expect(forced.stdout).toMatch(/^Moved the review of legal hold case-7 earlier, to /);
      expect(Date.parse(await reviewOf())).toBeLessThan(Date.parse(placed));
      expect((await cli('holds', 'release', 'case-7', ...backend.flags)).code).toBe(0);
    },
    RUNS,
  );

  it(
    'a missing driver is one sentence naming the install command',
    async () => {
      const run = await runCli(
        { cwd: dir, nodeFlags: ['--import', HIDE], env: { EPL_HIDE_PACKAGES: backend.driver } },
        'stats',
        ...backend.flags,
      );
      expect(run.code).toBe(1);
      expect(oneLine(run)).toMatch(
        new RegExp(
          `^express-privacy-log: an? \\w+ store needs the ${backend.driver} package, which is not installed: run "npm install ${backend.driver}"\\n$`,
        ),
      );
    },
    RUNS,
  );
}

describe('the command line on SQLite, at a path of its own', () => {
  reachSuite(async () => {
    await mkdir(join(dir, 'logs'));
    // A SQLite file that is not an access log: the command line must not turn it into one.
    await writeFile(join(dir, 'logs', 'other.sqlite'), '');
    return {
      flags: ['--store', 'sqlite:./logs/site.sqlite'],
      elsewhere: ['--store', 'sqlite:./logs/other.sqlite'],
      open: () => new SqliteStore({ path: join(dir, 'logs', 'site.sqlite') }),
      footprint: async () => {
        const files = await readdir(join(dir, 'logs'));
        const { default: Database } = await import('better-sqlite3');
        const db = new Database(join(dir, 'logs', 'other.sqlite'), { readonly: true });
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
        db.close();
        return [...files.filter((f) => !f.startsWith('site.')), JSON.stringify(tables)];
      },
      driver: 'better-sqlite3',
      cleanup: async () => {},
    };
  });

  it('a path that does not exist is not created', async () => {
    const run = await cli('stats', '--store', 'sqlite:./logs/nothing-here.sqlite');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'no access log here: no SQLite database at ./logs/nothing-here.sqlite',
    );
    expect(await readdir(join(dir, 'logs'))).not.toContain('nothing-here.sqlite');
  });

  it('--table and --prefix name other stores: given here they are a mistake', async () => {
    const table = await cli('stats', '--store', 'sqlite:./logs/site.sqlite', '--table', 'x');
    expect(table.code).toBe(2);
    expect(oneLine(table)).toContain(
      '--table names a PostgreSQL table, and "sqlite:./logs/site.sqlite" is not one',
    );
    const prefix = await cli('stats', '--store', 'sqlite:./logs/site.sqlite', '--prefix', 'x');
    expect(prefix.code).toBe(2);
  });
});

serviceSuite('PG_URL', 'the command line on PostgreSQL, in a table of its own', (url) => {
  const schema = uniqueName('epl_cli');
  const empty = `${schema}_empty`;
  const table = 'site_log';
  const at = (name: string) =>
    `${url}${url.includes('?') ? '&' : '?'}options=-csearch_path%3D${name}`;
  const admin = async <T>(sql: string): Promise<T[]> => {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  reachSuite(async () => {
    await admin(`CREATE SCHEMA ${schema}; CREATE SCHEMA ${empty}`);
    return {
      flags: ['--store', url, '--schema', schema, '--table', table],
      elsewhere: ['--store', at(empty), '--table', table],
      open: () => new PostgresStore({ connectionString: at(schema), table }),
      footprint: async () =>
        (
          await admin<{ name: string }>(
            `SELECT table_name AS name FROM information_schema.tables WHERE table_schema IN ('${empty}') ORDER BY 1`,
          )
        ).map((row) => row.name),
      driver: 'pg',
      cleanup: async () => {
        await admin(
          `DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${empty} CASCADE`,
        );
      },
    };
  });

  it(
    'the default table name, or a table of another app, is no access log, and nothing is made',
    async () => {
      const run = await cli('stats', '--store', at(schema));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('has no table "access_records" on its search path');
      const named = await cli('stats', '--store', url, '--schema', empty, '--table', table);
      expect(named.stderr).toContain(`has no table "${table}" in the schema "${empty}"`);
      const tables = await admin<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name LIKE 'access_records%'`,
      );
      expect(tables).toEqual([]);
      // A table of another application under that name is not taken for a log, nor added to.
      await admin(`CREATE TABLE ${schema}.not_a_log (x integer)`);
      const other = await cli('stats', '--store', url, '--schema', schema, '--table', 'not_a_log');
      expect(other.code).toBe(1);
      expect(other.stderr).toContain('the table "not_a_log" at');
      expect(other.stderr).toContain('is not one this library wrote');
      const made = await admin<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name LIKE 'not_a_log%'`,
      );
      expect(made).toEqual([{ name: 'not_a_log' }]);
    },
    RUNS,
  );
});

serviceSuite('REDIS_URL', 'the command line on Redis, under a prefix of its own', (url) => {
  const prefix = uniqueName('epl-cli');
  const elsewhere = `${prefix}-none`;
  const keys = async (pattern: string): Promise<string[]> => {
    const { createClient } = await import('redis');
    const client = createClient({ url });
    await client.connect();
    try {
      return (await client.keys(pattern)).sort();
    } finally {
      await client.close();
    }
  };
  reachSuite(async () => ({
    flags: ['--store', url, '--prefix', prefix],
    elsewhere: ['--store', url, '--prefix', elsewhere],
    open: () => new RedisStreamStore({ url, prefix }),
    footprint: () => keys(`{${elsewhere}}*`),
    driver: 'redis',
    cleanup: async () => {
      const { createClient } = await import('redis');
      const client = createClient({ url });
      await client.connect();
      const mine = await client.keys(`{${prefix}}*`);
      if (mine.length > 0) await client.del(mine);
      await client.close();
    },
  }));
});
