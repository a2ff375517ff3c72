// What the SQLite file's page size costs per row written: SqliteStore.write (batches of 500, one
// transaction each) into files created with each page size, on a fresh file and on one that
// already holds many rows, with visitor ids on half of the rows (gdpr with consent, cookieless) and
// on every row (ccpa). In WAL mode each page a transaction dirties is one frame of the log, written
// by system calls of its own; the visitor index's keys land anywhere, so with small pages a batch
// dirties about as many index pages as it has rows. Figures are medians over the rounds of CPU time
// per row, user and system apart (the system calls are the part that larger pages cut).
//
//   node bench/sqlite-page-size.js [--quick] [--sizes 4096,16384] [--rows N] [--preload N]
//                                  [--rounds N] [--batch N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SqliteStore } from '../dist/index.js';
import { fixed, median, roundOrder, table } from './lib.js';
import { recordMaker } from './sqlite-indexes.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '4096,8192,16384,32768,65536' },
    rows: { type: 'string' },
    preload: { type: 'string' },
    rounds: { type: 'string' },
    batch: { type: 'string', default: '500' },
  },
});
const quick = values.quick;
const sizes = values.sizes.split(',').map(Number);
const rows = Number(values.rows ?? (quick ? 10_000 : 40_000));
const preload = Number(values.preload ?? (quick ? 20_000 : 200_000));
const rounds = Number(values.rounds ?? (quick ? 1 : 3));
const batch = Number(values.batch);
for (const size of sizes) {
  if (!Number.isInteger(Math.log2(size)) || size < 512 || size > 65_536) {
    console.error(`--sizes: ${size} is not a power of two from 512 to 65536`);
    process.exit(2);
  }
}

/** A file of `size`-byte pages with the store's schema and `rowsBefore` rows already written. */
async function prepareFile(path, size, make, rowsBefore) {
  // The page size of an empty file can still be set; the store's own setting then finds pages.
  const db = new Database(path);
  db.pragma(`page_size = ${size}`);
  db.pragma('journal_mode = WAL');
  db.close();
  const store = new SqliteStore({ path });
  await store.init();
  for (let i = 0; i < rowsBefore; i += batch) {
    await store.write(Array.from({ length: batch }, make));
  }
  await store.close();
}

/** CPU microseconds per row, user and system, of writing `batches` into `path`. */
async function writeInto(path, batches) {
  const store = new SqliteStore({ path });
  await store.init();
  const cpu = process.cpuUsage();
  for (const records of batches) await store.write(records);
  const used = process.cpuUsage(cpu);
  await store.close();
  const written = batches.length * batch;
  return { userUs: used.user / written, systemUs: used.system / written };
}

const work = mkdtempSync(join(tmpdir(), 'epl-page-size-'));
try {
  const cases = [];
  for (const share of [0.5, 1]) {
    for (const loaded of preload > 0 ? [false, true] : [false]) cases.push({ share, loaded });
  }
  const figures = new Map();
  for (const { share, loaded } of cases) {
    const make = recordMaker(42, share);
    for (let round = 0; round < rounds; round++) {
      const batches = Array.from({ length: Math.ceil(rows / batch) }, () =>
        Array.from({ length: batch }, make),
      );
      for (const size of roundOrder(sizes, round)) {
        const path = join(work, `${size}-${share}-${loaded}-${round}.sqlite`);
        // Each file gets its own preloaded rows; the measured batches are the same for every size.
        await prepareFile(path, size, make, loaded ? preload : 0);
        const key = `${share}|${loaded}|${size}`;
        if (!figures.has(key)) figures.set(key, []);
        figures.get(key).push(await writeInto(path, batches));
        for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      }
    }
  }
  const tableRows = [];
  for (const { share, loaded } of cases) {
    for (const size of sizes) {
      const list = figures.get(`${share}|${loaded}|${size}`);
      const user = median(list.map((f) => f.userUs));
      const system = median(list.map((f) => f.systemUs));
      tableRows.push([
        `${share === 1 ? 'every row' : 'half the rows'}, ${loaded ? `after ${preload} rows` : 'fresh file'}`,
        size,
        fixed(user, 2),
        fixed(system, 2),
        fixed(median(list.map((f) => f.userUs + f.systemUs)), 2),
      ]);
    }
  }
  console.log(
    `\nSQLite cost per row by page size (SqliteStore.write, batches of ${batch}, ${rows} rows, median of ${rounds} rounds)`,
  );
  console.log(
    table(
      ['visitor ids on', 'page bytes', 'user us/row', 'system us/row', 'total us/row'],
      tableRows,
    ),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
