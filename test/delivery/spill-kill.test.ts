/**
 * `kill -9` in the middle of an outage with a disk spill: an app process (test/fixtures/spill-app.mjs)
 * serves requests while PostgreSQL is unreachable, spills, and is killed with SIGKILL; the next
 * process, with PostgreSQL back, replays every record that was spilled. Only what was in memory
 * is lost, and that is bounded by the memory buffer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serviceSuite, uniqueName } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const APP = join(import.meta.dirname, '../fixtures/spill-app.mjs');
/** The fixture's memory buffer, in records. */
const MEMORY_RECORDS = 200;

interface Progress {
  sent: number;
  done?: boolean;
  stats: {
    accepted: number;
    written: number;
    buffered: number;
    spilled: number;
    recovered: number;
    dropped: Record<string, number>;
  };
}

/** Start the app; `onLine` sees each progress line. Resolves with the child and its exit. */
function startApp(options: object, onLine: (line: Progress) => void) {
  const child: ChildProcess = spawn(process.execPath, [APP, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let end = buffer.indexOf('\n');
    while (end >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line.startsWith('{')) onLine(JSON.parse(line) as Progress);
      end = buffer.indexOf('\n');
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

/**
 * The ids the next process will replay: those of the spill files, and of the temporary files
 * written whole (as many lines as the count in the name) but not yet synced and renamed when the
 * process was killed. A temporary file cut short held records that were still in memory.
 */
async function spilledIds(dir: string): Promise<string[]> {
  const ids: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const count = /^spill-\d{16}\.ndjson\.(\d+)\.tmp$/.exec(name)?.[1];
    if (!name.endsWith('.ndjson') && count === undefined) continue;
    const text = await readFile(join(dir, name), 'utf8');
    const lines = text.split('\n').filter((line) => line !== '');
    if (count !== undefined && (!text.endsWith('\n') || lines.length !== Number(count))) continue;
    for (const line of lines) ids.push((JSON.parse(line) as { id: string }).id);
  }
  return ids;
}

serviceSuite('PG_URL', 'kill -9 during an outage, with a disk spill', (url) => {
  const target = new URL(url);
  const direct = new pg.Pool({ connectionString: url, max: 2 });
  direct.on('error', () => {});
  const proxy = new TcpProxy(target.hostname, Number(target.port));
  const table = uniqueName('epl_spill_kill');
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'epl-spill-kill-'));
  });
  afterAll(async () => {
    await proxy.close();
    await direct.query(
      `DROP TABLE IF EXISTS "${table}", "${table}_holds", "${table}_schema" CASCADE`,
    );
    await direct.end();
    await rm(root, { recursive: true, force: true });
  });

  it('the restart replays every spilled record; only memory is lost', {
    timeout: 120_000,
  }, async () => {
    if (!existsSync(join(import.meta.dirname, '../../dist/entries/postgres.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (the children import it)');
    }
    const port = await proxy.listen();
    const dir = join(root, 'spill');
    const options = {
      poolConfig: {
        host: '127.0.0.1',
        port,
        user: decodeURIComponent(target.username) || 'postgres',
        database: target.pathname.slice(1) || 'postgres',
        max: 2,
        connectionTimeoutMillis: 1000,
      },
      table,
      dir,
    };

    // First process: PostgreSQL unreachable from the start; killed once it has spilled enough.
    proxy.down();
    let last: Progress | undefined;
    const first = startApp({ ...options, requests: 100_000 }, (line) => {
      last = line;
      if (line.stats.spilled >= 1000) first.child.kill('SIGKILL');
    });
    const ended = await first.exited;
    expect(ended.signal).toBe('SIGKILL');
    expect(last!.stats.written).toBe(0);
    // At most the memory buffer was held outside the spill when it was last reported.
    expect(last!.stats.buffered - last!.stats.spilled).toBeLessThanOrEqual(MEMORY_RECORDS);
    const spilled = await spilledIds(dir);
    expect(spilled.length).toBeGreaterThanOrEqual(1000);

    // Second process: PostgreSQL is back; it serves a few requests of its own and flushes.
    proxy.restore();
    let done: Progress | undefined;
    const second = startApp({ ...options, requests: 50 }, (line) => {
      if (line.done) done = line;
    });
    expect((await second.exited).code).toBe(0);
    expect(done!.stats).toMatchObject({
      recovered: spilled.length,
      accepted: 50 + spilled.length,
      written: 50 + spilled.length,
      buffered: 0,
      spilled: 0,
    });
    const { rows } = await direct.query<{ id: string }>(`SELECT id FROM "${table}"`);
    const stored = new Set(rows.map((row) => row.id));
    expect(spilled.filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBe(spilled.length + 50);
    expect((await readdir(dir)).filter((name) => name.endsWith('.ndjson'))).toEqual([]);
    const lostInMemory = Math.max(0, last!.stats.accepted - spilled.length);
    console.info(
      `kill -9: ${spilled.length} spilled and replayed; about ${lostInMemory} in memory lost`,
    );
  });
});
