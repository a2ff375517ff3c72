// A PostgresStore or RedisStreamStore built from a connection string opens its own driver, an
// optional peer: without it, init() says in one sentence which package to install.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Run `script` (an ES module) with `hidden` packages made unresolvable; its standard output. */
function runHiding(hidden: string, script: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--import', resolve('test/fixtures/hide-packages.mjs'), '--input-type=module', '-e', script],
      { env: { PATH: process.env.PATH ?? '', EPL_HIDE_PACKAGES: hidden } },
      (error, stdout) => (error ? fail(error) : done(stdout)),
    );
  });
}

/** A script that builds the store from `options` and prints what init() throws. */
function initScript(entry: string, className: string, options: object): string {
  const built = resolve(`dist/entries/${entry}`);
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);
  return `import(${JSON.stringify(built)}).then(async (m) => {
    const store = new m[${JSON.stringify(className)}](${JSON.stringify(options)});
    try { await store.init(); console.log('opened'); }
    catch (err) { console.log(err.code + ' ' + err.message); }
    finally { await store.close?.().catch(() => {}); }
  });`;
}

describe('a store that opens its own connection, without its driver', () => {
  it('PostgresStore names the pg package and the command', async () => {
    const script = initScript('postgres.js', 'PostgresStore', {
      connectionString: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect((await runHiding('pg', script)).trim()).toBe(
      'ERR_MISSING_DRIVER PostgresStore needs the pg package, which is not installed: run "npm install pg"',
    );
  });

  it('RedisStreamStore names the redis package and the command', async () => {
    const script = initScript('redis.js', 'RedisStreamStore', {
      url: 'redis://127.0.0.1:1',
    });
    expect((await runHiding('redis', script)).trim()).toBe(
      'ERR_MISSING_DRIVER RedisStreamStore needs the redis package, which is not installed: run "npm install redis"',
    );
  });
});
