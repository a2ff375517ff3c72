import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/stores/sqlite/store.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-sqlite-path-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function constructionError(path: string): Error {
  try {
    new SqliteStore({ path });
  } catch (err) {
    return err as Error;
  }
  throw new Error(`new SqliteStore({ path: ${path} }) did not throw`);
}

describe('SqliteStore checks its path when it is made', () => {
  it('a folder that does not exist fails at construction, naming the path, and is not created', () => {
    const path = join(dir, 'no', 'such', 'access.sqlite');
    const err = constructionError(path);
    expect(err.message).toBe(
      `SqliteStore: cannot keep the database at ${path}: the folder ${join(dir, 'no', 'such')} does not exist; create it first (mkdir -p ${join(dir, 'no', 'such')}) or choose another path`,
    );
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('never writes at the filesystem root, whoever runs it', () => {
    const top = `/epl-missing-${process.pid}-${Date.now().toString(36)}`;
    const err = constructionError(`${top}/logs/access.sqlite`);
    expect(err.message).toContain(`${top}/logs/access.sqlite`);
    expect(err.message).toContain('does not exist');
    expect(existsSync(top)).toBe(false);
    expect(existsSync(`${top}/logs`)).toBe(false);
  });

  it('a relative path in a missing folder fails the same way', async () => {
    const err = constructionError('missing-folder-for-epl-test/access.sqlite');
    expect(err.message).toContain('missing-folder-for-epl-test/access.sqlite');
    expect(existsSync('missing-folder-for-epl-test')).toBe(false);
  });

  it('a file where the folder should be is named', async () => {
    await writeFile(join(dir, 'plain'), 'x');
    const err = constructionError(join(dir, 'plain', 'access.sqlite'));
    expect(err.message).toContain(`${join(dir, 'plain')} is not a folder`);
  });

  it('a folder that exists is used as it is: init creates the file there and nothing else', async () => {
    const store = new SqliteStore({ path: join(dir, 'access.sqlite') });
    expect(await readdir(dir)).toEqual([]);
    await store.init();
    await store.close();
    expect(await readdir(dir)).toContain('access.sqlite');
  });

  it('a folder this process cannot write fails at construction, naming it', async () => {
    const locked = join(dir, 'locked');
    await mkdir(locked);
    const path = join(locked, 'access.sqlite');
    if (process.getuid?.() !== 0) {
      await chmod(locked, 0o500);
      expect(constructionError(path).message).toMatch(
        new RegExp(
          `^SqliteStore: cannot keep the database at ${path}: the folder ${locked} cannot be written by this process \\(EACCES\\)`,
        ),
      );
      await chmod(locked, 0o700);
      return;
    }
    // Root may write anywhere: the check runs as an unprivileged user instead, on the built module.
    const built = resolve('dist/entries/sqlite.js');
    if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);
    await chmod(dir, 0o755);
    await chmod(locked, 0o755);
    const script = `import(${JSON.stringify(built)}).then(({ SqliteStore }) => {
      try { new SqliteStore({ path: ${JSON.stringify(path)} }); console.log('constructed'); }
      catch (err) { console.log(err.message); }
    });`;
    const output = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { uid: 65534, gid: 65534, cwd: '/' },
        (error, stdout) => (error ? fail(error) : done(stdout)),
      );
    });
    expect(output.trim()).toBe(
      `SqliteStore: cannot keep the database at ${path}: the folder ${locked} cannot be written by this process (EACCES); give it write permission or choose another path`,
    );
    expect(await readdir(locked)).toEqual([]);
  });

  it('without better-sqlite3 installed, init() says which package to install', async () => {
    const built = resolve('dist/entries/sqlite.js');
    if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);
    const path = join(dir, 'access.sqlite');
    const script = `import(${JSON.stringify(built)}).then(async ({ SqliteStore }) => {
      try { await new SqliteStore({ path: ${JSON.stringify(path)} }).init(); console.log('opened'); }
      catch (err) { console.log(err.code + ' ' + err.message); }
    });`;
    const output = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        [
          '--import',
          resolve('test/fixtures/hide-packages.mjs'),
          '--input-type=module',
          '-e',
          script,
        ],
        { env: { PATH: process.env.PATH ?? '', EPL_HIDE_PACKAGES: 'better-sqlite3' } },
        (error, stdout) => (error ? fail(error) : done(stdout)),
      );
    });
    expect(output.trim()).toBe(
      'ERR_MISSING_DRIVER SqliteStore needs the better-sqlite3 package, which is not installed: run "npm install better-sqlite3"',
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
