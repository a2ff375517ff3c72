import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, runCli } from '../helpers/cli.js';
import { makeRecord } from '../helpers/records.js';

/** A plugin store: appends JSON lines to `options.file` and reads them back. */
const FILE_STORE = resolve('test/fixtures/file-store.mjs');

let dir: string;
const cli = (...args: string[]) => runCli({ cwd: dir }, ...args);

beforeAll(async () => {
  requireBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'epl-cli-module-'));
  const records = [makeRecord(), makeRecord(), makeRecord()];
  await writeFile(join(dir, 'log.ndjson'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  await writeFile(
    join(dir, 'named.mjs'),
    `export { default as FileStore } from ${JSON.stringify(FILE_STORE)};\nexport const notAStore = 42;\n`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--store module: opens a plugin store', () => {
  it('builds the default export with --store-options and runs the command on it', async () => {
    const options = JSON.stringify({ file: join(dir, 'log.ndjson') });
    const run = await cli(
      'stats',
      '--json',
      '--store',
      `module:${FILE_STORE}`,
      '--store-options',
      options,
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ records: 3 });
    // A relative path is taken from the working directory; #name picks an export.
    const named = await cli(
      'stats',
      '--json',
      '--store',
      'module:./named.mjs#FileStore',
      '--store-options',
      options,
    );
    expect(JSON.parse(named.stdout)).toMatchObject({ records: 3 });
  });

  it('a command the store has no method for fails and names the store', async () => {
    const options = JSON.stringify({ file: join(dir, 'log.ndjson') });
    const run = await cli(
      'erase',
      '--subject',
      'visitor:a',
      '--store',
      `module:${FILE_STORE}`,
      '--store-options',
      options,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `express-privacy-log: the store at module:${FILE_STORE} cannot erase records\n`,
    );
  });

  it('a module, export or options that do not make a store are named in one line', async () => {
    const cases: [string[], number, RegExp][] = [
      [
        ['--store', 'module:./missing.mjs'],
        1,
        /^express-privacy-log: cannot load the store module \.\/missing\.mjs: /,
      ],
      [
        ['--store', 'module:./named.mjs#notAStore'],
        1,
        /export "notAStore" is not a class or function/,
      ],
      [['--store', 'module:'], 2, /names no module/],
      [
        ['--store', `module:${FILE_STORE}`, '--store-options', '{file:'],
        2,
        /--store-options must be JSON/,
      ],
      [
        ['--store', 'sqlite:./x.sqlite', '--store-options', '{}'],
        2,
        /--store-options names options for a module store/,
      ],
    ];
    for (const [args, code, pattern] of cases) {
      const run = await cli('stats', ...args);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr, args.join(' ')).toMatch(pattern);
    }
  }, 60_000);
});
