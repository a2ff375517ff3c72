// `node bench/rollups.js [records] [--quick]`: traffic rollups, from the build in dist/ (run
// `npm run build` first). Measures (1) the rollup computation alone, records already in memory,
// on one core; (2) a full first run from a SQLite store (read, parse, roll up, commit) and (3) the
// latency of a 30-day daily report with a breakdown, in SQLite and, when PG_URL is set, PostgreSQL.
// Default one million records over 60 days; --quick uses 50,000.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../dist/index.js';
import {
  rollupHours,
  SqliteRollups,
  trafficReport,
  updateRollups,
} from '../dist/internal/index.js';

const quick = process.argv.includes('--quick');
const positional = process.argv.slice(2).find((arg) => /^\d+$/.test(arg));
const total = Number(positional ?? (quick ? 50_000 : 1_000_000));
const DAYS = 60;
const START = Date.parse('2026-01-01T00:00:00.000Z');
const ROUTES = ['/', '/products', '/products/:id', '/blog/:slug', '/about', '/contact'];
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Edge'];

function records() {
  const out = [];
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < total; i++) {
    const time = START + Math.floor((i / total) * DAYS * 86_400_000);
    const visitor = Math.floor(rand() * total * 0.2);
    const record = {
      v: 1,
      id: `0190${i.toString(16).padStart(28, '0')}`.replace(
        /^(.{8})(.{4})(.{4})(.{4})/,
        '$1-$2-$3-$4-',
      ),
      time: new Date(time).toISOString(),
      policy: 'bench@1',
      consent: { analytics: true, basis: 'consent', gpc: false, dnt: false },
      client: { ip: '192.0.2.0', geo: { country: ['DE', 'FR', 'US'][visitor % 3] } },
      essential: {
        method: 'GET',
        path: '/x',
        route: ROUTES[Math.floor(rand() * ROUTES.length)],
        status: rand() < 0.95 ? 200 : 404,
        durationMs: 1 + rand() * 300,
        bytes: 2000,
        host: 'shop.example',
        browser: { name: BROWSERS[visitor % 4], major: '120' },
        os: { name: visitor % 2 ? 'Windows' : 'Linux' },
        device: 'desktop',
        bot: rand() < 0.03,
      },
      expires: { essential: new Date(time + 400 * 86_400_000).toISOString() },
    };
    if (rand() < 0.7) {
      record.nonessential = { visitorId: `v${visitor}`, referrer: 'https://search.example/' };
    }
    out.push(record);
  }
  return out;
}

/** Records per second of wall time, and per second of this process's CPU time (one core's work). */
async function rate(label, work) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const perSecond = Math.round(total / seconds).toLocaleString('en');
  const perCpu = Math.round(total / cpuSeconds).toLocaleString('en');
  console.log(`${label.padEnd(44)} ${perSecond} records/s (${perCpu} per CPU second)`);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function reportLatency(name, rollups) {
  const to = new Date(START + 45 * 86_400_000);
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const times = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const started = performance.now();
    await trafficReport(rollups, { from, to, interval: 'day', by: 'page' }, 10, to);
    times.push(performance.now() - started);
  }
  console.log(`${name.padEnd(44)} ${median(times).toFixed(1)} ms (median of ${times.length})`);
}

console.log(`generating ${total.toLocaleString('en')} records over ${DAYS} days`);
const all = records();

await rate('rollup computation, one core', () => rollupHours(all));

const dir = mkdtempSync(join(tmpdir(), 'epl-bench-rollups-'));
try {
  const path = join(dir, 'bench.sqlite');
  const store = new SqliteStore({ path });
  await store.init();
  for (let i = 0; i < all.length; i += 5000) await store.write(all.slice(i, i + 5000));
  const rollups = new SqliteRollups({ path });
  rollups.init();
  const now = new Date(START + DAYS * 86_400_000 + 86_400_000);
  await rate('SQLite first run (read + roll up + commit)', () =>
    updateRollups(store, rollups, { now }),
  );
  const started = performance.now();
  await updateRollups(store, rollups, { now });
  console.log(
    `${'SQLite run with nothing new'.padEnd(44)} ${(performance.now() - started).toFixed(1)} ms`,
  );
  await reportLatency('SQLite 30-day daily report, by page', rollups);
  rollups.close();
  await store.close();

  if (process.env.PG_URL) {
    const { default: pg } = await import('pg');
    const { PostgresStore } = await import('../dist/entries/postgres.js');
    const pool = new pg.Pool({ connectionString: process.env.PG_URL });
    pool.on('error', () => {});
    const table = `bench_rollups_${process.pid}`;
    const pgStore = new PostgresStore({ pool, table });
    try {
      await pgStore.init();
      for (let i = 0; i < all.length; i += 5000) await pgStore.write(all.slice(i, i + 5000));
      const pgRollups = pgStore.rollups();
      await pgRollups.init();
      // CPU here is this process's only: PostgreSQL's own work runs in the server.
      await rate('PostgreSQL first run (read + roll up + commit)', () =>
        updateRollups(pgStore, pgRollups, { now }),
      );
      await reportLatency('PostgreSQL 30-day daily report, by page', pgRollups);
      await pgRollups.close();
    } finally {
      const client = await pool.connect();
      await client.query(
        `DROP TABLE IF EXISTS "${table}" CASCADE; DROP TABLE IF EXISTS "${table}_holds", "${table}_schema", "${table}_rollups", "${table}_rollup_state"`,
      );
      client.release();
      await pgStore.close();
      await pool.end();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
