import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import { contractConsent } from '../../src/testing/store-contract.js';
import { makeRecord } from '../helpers/records.js';

/** The built command, as `npm install` links it; `npm test` builds before the tests run. */
const MAIN = resolve('dist/cli/main.js');
let dir: string;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: dir, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

const alice = [1, 2].map((n) => contractConsent(n, { visitorId: 'alice' }));
const bob = contractConsent(3, { visitorId: 'bob', source: 'signal', signal: 'gpc' });

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
  dir = await mkdtemp(join(tmpdir(), 'epl-cli-consents-'));
  const store = new SqliteStore({ path: join(dir, 'access-log.sqlite') });
  await store.init();
  await store.write([makeRecord({ nonessential: { visitorId: 'alice' } })]);
  await store.writeConsents([...alice, bob]);
  await store.close();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('express-privacy-log consents', () => {
  it('lists the ledger, or one visitor’s events, as text or JSON', async () => {
    const all = await cli('consents');
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('3 consent events.');
    expect(all.stdout).toContain('signal (gpc)');
    expect(all.stdout).toContain('contract@1');

    const mine = await cli('consents', '--subject', 'visitor:alice', '--json');
    expect(mine.code).toBe(0);
    expect(JSON.parse(mine.stdout)).toEqual({ count: 2, consents: alice });
  });

  it('refuses a subject the ledger does not name', async () => {
    const run = await cli('consents', '--subject', 'email:ada@example.org');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('visitor id');
  });

  it('puts a visitor’s events in their export', async () => {
    const run = await cli('export', '--subject', 'visitor:alice');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ count: 1, consents: alice });
  });
});
