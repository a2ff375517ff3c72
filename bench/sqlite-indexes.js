// The cost of each secondary index of the SQLite store, per row written: the store's own write
// path (SqliteStore.write, batches of 500, one transaction each) into tables that differ only in
// their indexes: the schema as built, the primary key alone, the primary key with each index, and
// the schema without each of its indexes. Each on a fresh file and on a file that already holds
// many rows (default 300,000): an index whose keys arrive in time order (time, expiry, id) adds to
// the last page or two, while one whose keys land anywhere (the visitor id) dirties a page of its
// own for nearly every row, and the WAL writes and checkpoints every dirty page. Variants
// alternate over the rounds; figures are medians of CPU time (user + system) per row.
//
//   node bench/sqlite-indexes.js [--quick] [--rows N] [--preload N] [--rounds N] [--batch N]
//                                [--only text,text]   (also: node bench/store-writes.js --indexes)
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { contractRecord } from '../dist/entries/testing.js';
import { SqliteStore } from '../dist/index.js';
import { uuidv7 } from '../dist/internal/index.js';
import { fixed, median, roundOrder, table, thousands } from './lib.js';

const BATCH = 500;
const DAY = 86_400_000;

/**
 * Secondary indexes that may exist on `access_records`, by name, with the statement that builds
 * each (the schema's own definitions, copied so that a variant can rebuild one after dropping all).
 */
export const INDEX_DEFINITIONS = {
  access_records_time: 'CREATE INDEX access_records_time ON access_records (time, id)',
  access_records_visitor_id:
    'CREATE INDEX access_records_visitor_id ON access_records (visitor_id) WHERE visitor_id IS NOT NULL',
  access_records_email:
    'CREATE INDEX access_records_email ON access_records (email) WHERE email IS NOT NULL',
  access_records_held: 'CREATE INDEX access_records_held ON access_records (held) WHERE held = 1',
  access_records_exp_next:
    'CREATE INDEX access_records_exp_next ON access_records (exp_next) WHERE held = 0 AND exp_next IS NOT NULL',
};

/** The secondary indexes of the file at `path`. */
function indexesOf(db) {
  return db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'access_records'")
    .all()
    .map((row) => row.name)
    .filter((name) => !name.startsWith('sqlite_autoindex'));
}

/**
 * Records shaped as a running site writes them: UUIDv7 ids in time order, a share of them (half by
 * default; every one under ccpa, which counts every visitor) with a visitor id from a pool of
 * returning visitors (random text, as the cookie's ids are), one in a thousand with an e-mail
 * address.
 */
export function recordMaker(seed, visitorShare = 0.5) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const visitors = Array.from({ length: 20_000 }, () =>
    Array.from({ length: 22 }, () => alphabet[Math.floor(next() * 64)]).join(''),
  );
  let serial = 0;
  let ms = Date.now() - 30 * DAY;
  return () => {
    serial++;
    ms += 1 + Math.floor(next() * 3);
    const time = new Date(ms).toISOString();
    const record = contractRecord(serial, { time, id: uuidv7(ms) });
    if (next() < visitorShare) {
      record.nonessential = {
        ...record.nonessential,
        visitorId: visitors[Math.floor(next() * visitors.length)],
      };
    } else {
      delete record.nonessential;
      delete record.expires.nonessential;
    }
    if (next() < 0.001) record.optional = { email: `user${serial}@example.org` };
    return record;
  };
}

/** A store on `path` whose table has exactly the secondary indexes `keep`. */
function shapeFile(path, keep) {
  const db = new Database(path);
  try {
    for (const name of indexesOf(db)) {
      if (!keep.includes(name)) db.exec(`DROP INDEX ${name}`);
    }
    const present = new Set(indexesOf(db));
    for (const name of keep) if (!present.has(name)) db.exec(INDEX_DEFINITIONS[name]);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** CPU microseconds per row and rows per wall second of writing `batches` into `path`. */
async function writeInto(path, batches, batch) {
  const store = new SqliteStore({ path });
  await store.init();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const records of batches) await store.write(records);
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - start;
  await store.close();
  const rows = batches.length * batch;
  return { cpuUsPerRow: (used.user + used.system) / rows, rowsPerSecond: rows / (wallMs / 1000) };
}

/**
 * Measure every variant; prints a table and returns the figures.
 * @param {{ rows?: number, preload?: number, rounds?: number, log?: (line: string) => void }} options
 */
export async function measureIndexes(options = {}) {
  const rows = options.rows ?? 50_000;
  const preload = options.preload ?? 300_000;
  const rounds = options.rounds ?? 3;
  const batch = options.batch ?? BATCH;
  const log = options.log ?? console.log;
  const work = mkdtempSync(join(tmpdir(), 'epl-indexes-'));
  try {
    // The schema as this build creates it names the indexes the "as it is" variant keeps.
    const template = join(work, 'template.sqlite');
    const store = new SqliteStore({ path: template });
    await store.init();
    await store.close();
    const db = new Database(template, { readonly: true });
    const current = indexesOf(db).sort();
    db.close();
    const short = (index) => index.replace('access_records_', '');
    // Each index alone beside the primary key, and the schema as built without it: the first is
    // what an index costs on its own, the second what leaving it out of this schema would save.
    const variants = [
      { name: `as built (${current.length} indexes)`, keep: current },
      { name: 'primary key only', keep: [] },
      ...Object.keys(INDEX_DEFINITIONS).map((index) => ({
        name: `PK + ${short(index)}`,
        keep: [index],
      })),
      ...current.map((index) => ({
        name: `as built - ${short(index)}`,
        keep: current.filter((other) => other !== index),
      })),
    ].filter((v, i) => i < 2 || !options.only || options.only.some((o) => v.name.includes(o)));

    const make = recordMaker(42);
    const batchesOf = (count) =>
      Array.from({ length: Math.ceil(count / batch) }, () => Array.from({ length: batch }, make));

    // The preloaded file: rows written with the primary key alone, indexes built per variant.
    const loaded = join(work, 'loaded.sqlite');
    copyFileSync(template, loaded);
    shapeFile(loaded, []);
    if (preload > 0) {
      const filler = new SqliteStore({ path: loaded });
      await filler.init();
      for (let i = 0; i < preload; i += batch) {
        await filler.write(Array.from({ length: batch }, make));
      }
      await filler.close();
    }

    const figures = new Map(variants.map((v) => [v.name, { fresh: [], loaded: [] }]));
    for (let round = 0; round < rounds; round++) {
      const batches = batchesOf(rows);
      for (const name of roundOrder(
        variants.map((v) => v.name),
        round,
      )) {
        const { keep } = variants.find((v) => v.name === name);
        for (const [kind, source] of [
          ['fresh', template],
          ['loaded', loaded],
        ]) {
          if (kind === 'loaded' && preload === 0) continue;
          const path = join(work, `run-${kind}.sqlite`);
          for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
          copyFileSync(source, path);
          shapeFile(path, keep);
          // The same records for every variant of a round: ids are unique within the file.
          figures.get(name)[kind].push(await writeInto(path, batches, batch));
        }
      }
    }

    const result = { rows, preload, rounds, batch, current, variants: [] };
    const base = figures.get('primary key only');
    const baseCpu = (kind) => median(base[kind].map((f) => f.cpuUsPerRow));
    const tableRows = [];
    for (const variant of variants) {
      const f = figures.get(variant.name);
      const entry = { name: variant.name, indexes: variant.keep };
      for (const kind of ['fresh', 'loaded']) {
        if (f[kind].length === 0) continue;
        const cpu = median(f[kind].map((x) => x.cpuUsPerRow));
        entry[kind] = {
          cpuUsPerRow: cpu,
          overPrimaryKeyUs: cpu - baseCpu(kind),
          rowsPerSecond: median(f[kind].map((x) => x.rowsPerSecond)),
        };
      }
      result.variants.push(entry);
      const cell = (x) =>
        x
          ? [fixed(x.cpuUsPerRow, 2), fixed(x.overPrimaryKeyUs, 2), thousands(x.rowsPerSecond)]
          : [];
      tableRows.push([variant.name, ...cell(entry.fresh), ...cell(entry.loaded)]);
    }
    log(
      `\nSQLite cost per row by index (SqliteStore.write, batches of ${batch}, ${rows} rows, ` +
        `median of ${rounds} rounds; "loaded": into a file of ${preload} rows)`,
    );
    const header = ['table', 'fresh us/row', '+ over PK', 'rows/s'];
    if (preload > 0) header.push('loaded us/row', '+ over PK', 'rows/s');
    log(table(header, tableRows));
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rows: { type: 'string' },
      preload: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      batch: { type: 'string' },
    },
  });
  const quick = values.quick;
  await measureIndexes({
    rows: Number(values.rows ?? (quick ? 10_000 : 50_000)),
    preload: Number(values.preload ?? (quick ? 30_000 : 300_000)),
    rounds: Number(values.rounds ?? (quick ? 1 : 3)),
    only: values.only?.split(','),
    batch: values.batch === undefined ? undefined : Number(values.batch),
  });
}
