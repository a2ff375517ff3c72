// `node bench/outage.js [options]` (or `npm run bench -- --outage`): what outages and a hanging
// store cost the requests and the records, over real HTTP. Builds dist/ first, then for each
// scenario starts a server (bench/outage-server.js: Express and this library, worker mode) in one
// child process and an open-loop load at a steady rate (bench/outage-load.js) in another, injects
// the fault, and reports the requests' latency (p50, p99, p99 during the fault, max), failed
// requests, the logger's counters per store once it has written everything it can, and the rows
// actually in each store. Scenarios:
//
//   a  no fault: PostgreSQL and Redis through a TCP proxy (bench/tcp-proxy.js); the baseline p99
//   b  both proxies down for --outage-seconds, a memory buffer sized for the outage
//   c  the same outage with a buffer of a third of it: what exceeds it is dropped, counted
//   d  the same outage with a buffer of a sixth of it and a disk spill
//   e  a SQLite store whose writes hang --hang-seconds (bench/hanging-sqlite-store.js, a stand-in
//      for a frozen file system), in worker mode (e-worker) and in-process (e-inproc), with a
//      buffer of twice what the hang brings
//
// Each scenario: 200 requests and a flush (the worker and the stores are up), a 3 s warm-up at the
// rate (not measured), 5 s before the fault, the fault, then 15 s (outage) or 10 s (hang) after
// it; then the logger is given up to 180 s to write what it buffered. About 6 minutes in all with
// the defaults. a to d need PG_URL and REDIS_URL (skipped, with the reason, otherwise); their
// tables and keys are removed at the end. Options:
//
//   --outage-seconds N  length of the outage in b, c, d (default 60)
//   --hang-seconds N    length of the hang in e (default 10)
//   --rate N            requests per second (default 1000)
//   --only a,b          run only these scenarios (e runs both of its modes)
//   --no-build          use dist/ as it is
//   --out FILE          where to write the JSON results (default bench/outage-results.json)
import { fork } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SERVER = fileURLToPath(new URL('./outage-server.js', import.meta.url));
const LOAD = fileURLToPath(new URL('./outage-load.js', import.meta.url));

const { values: args } = parseArgs({
  options: {
    'outage-seconds': { type: 'string' },
    'hang-seconds': { type: 'string' },
    rate: { type: 'string' },
    only: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const count = (value, fallback, name) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const settings = {
  outageSeconds: count(args['outage-seconds'], 60, 'outage-seconds'),
  hangSeconds: count(args['hang-seconds'], 10, 'hang-seconds'),
  rate: count(args.rate, 1000, 'rate'),
  warmupSeconds: 3,
  beforeSeconds: 5,
  afterOutageSeconds: 15,
  afterHangSeconds: 10,
  drainTimeoutSeconds: 180,
};
const outFile = resolve(args.out ?? join(ROOT, 'bench/outage-results.json'));

// Buffers in records per store, from what the outage brings (rate x seconds): b holds it with a
// third to spare, c a third of it, d a sixth of it beside the spill (as test/delivery/outage.test.ts).
const outageRecords = settings.rate * settings.outageSeconds;
const MAX_BYTES = 256 * 1024 * 1024;
const queues = {
  big: { maxRecords: Math.ceil(outageRecords / 750) * 1000, maxBytes: MAX_BYTES },
  small: { maxRecords: Math.max(1000, Math.round(outageRecords / 3)), maxBytes: MAX_BYTES },
  spill: { maxRecords: Math.max(1000, Math.round(outageRecords / 6)), maxBytes: MAX_BYTES },
  // e: twice what the hang brings. The default (10,000 records) is exactly 10 s at 1,000/s, and in
  // worker mode the requests keep coming during the hang: with it, part of them would be dropped.
  hang: {
    maxRecords: Math.max(10_000, 2 * settings.rate * settings.hangSeconds),
    maxBytes: MAX_BYTES,
  },
};

const T = settings.outageSeconds;
const SCENARIOS = [
  { name: 'a', label: 'no fault (baseline)', network: true, queue: queues.big },
  {
    name: 'b',
    label: `${T} s outage, buffer ${queues.big.maxRecords}`,
    network: true,
    fault: 'outage',
    queue: queues.big,
  },
  {
    name: 'c',
    label: `${T} s outage, buffer ${queues.small.maxRecords}`,
    network: true,
    fault: 'outage',
    queue: queues.small,
  },
  {
    name: 'd',
    label: `${T} s outage, buffer ${queues.spill.maxRecords} + spill`,
    network: true,
    fault: 'outage',
    queue: queues.spill,
    spill: true,
  },
  {
    name: 'e-worker',
    group: 'e',
    label: `SQLite hangs ${settings.hangSeconds} s, worker mode`,
    fault: 'hang',
    worker: true,
    queue: queues.hang,
  },
  {
    name: 'e-inproc',
    group: 'e',
    label: `SQLite hangs ${settings.hangSeconds} s, in-process`,
    fault: 'hang',
    worker: false,
    queue: queues.hang,
  },
];

if (!args['no-build']) buildDist();

const lib = await import('./lib.js');
const { TcpProxy } = await import('./tcp-proxy.js');
const { latency, timeline } = await import('./outage-stats.js');

let chosen = SCENARIOS;
if (args.only) {
  const wanted = new Set(args.only.split(',').map((s) => s.trim()));
  for (const name of wanted) {
    if (!SCENARIOS.some((s) => s.name === name || s.group === name))
      throw new Error(`unknown scenario ${name} (a, b, c, d, e, e-worker, e-inproc)`);
  }
  chosen = SCENARIOS.filter((s) => wanted.has(s.name) || wanted.has(s.group));
}

const work = mkdtempSync(join(tmpdir(), 'epl-outage-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Direct connections to the real servers (not through the proxies), or why there are none. */
async function services() {
  const pgUrl = process.env.PG_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!pgUrl) return { why: 'PG_URL is not set' };
  if (!redisUrl) return { why: 'REDIS_URL is not set' };
  const { default: pg } = await import('pg');
  const { createClient } = await import('redis');
  const pool = new pg.Pool({ connectionString: pgUrl, max: 2, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {});
  const redis = createClient({
    url: redisUrl,
    socket: { connectTimeout: 3000, reconnectStrategy: false },
  });
  redis.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end();
    return { why: `PostgreSQL at PG_URL does not answer (${err.message})` };
  }
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    await pool.end();
    return { why: `Redis at REDIS_URL does not answer (${err.message})` };
  }
  return { pool, redis, pgUrl: new URL(pgUrl), redisUrl: new URL(redisUrl) };
}

/** A child process that answers `{ cmd }` messages with `{ reply: cmd, ... }`. */
function child(file, argv) {
  const proc = fork(file, argv, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  proc.stdout.on('data', (chunk) => {
    output += chunk;
  });
  proc.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((done) => proc.once('exit', done));
  const next = (test, what, timeoutMs) =>
    new Promise((done, fail) => {
      const timer = setTimeout(() => {
        cleanup();
        fail(new Error(`${file}: no ${what} within ${timeoutMs} ms\n${output}`));
      }, timeoutMs);
      const onMessage = (message) => {
        if (!test(message)) return;
        cleanup();
        if (message.error) fail(new Error(`${file}: ${what} failed: ${message.error}`));
        else done(message);
      };
      const onExit = (code, signal) => {
        cleanup();
        fail(new Error(`${file} exited (${code ?? signal}) before ${what}\n${output}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        proc.off('message', onMessage);
        proc.off('exit', onExit);
      };
      proc.on('message', onMessage);
      proc.once('exit', onExit);
    });
  return {
    proc,
    next,
    call(cmd, extra = {}, timeoutMs = 60_000) {
      const answer = next((m) => m?.reply === cmd, cmd, timeoutMs);
      proc.send({ cmd, ...extra });
      return answer;
    },
    async end() {
      if (proc.connected) proc.disconnect();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `n` requests, ten at a time, before the measurement: the worker starts, the stores connect. */
async function prime(port, n) {
  const one = (i) =>
    new Promise((done, fail) => {
      const req = request(
        { host: '127.0.0.1', port, path: `/products/${1 + (i % 60)}`, agent: false },
        (res) => {
          res.resume();
          res.on('end', done);
        },
      );
      req.on('error', fail);
      req.end();
    });
  for (let i = 0; i < n; i += 10)
    await Promise.all(Array.from({ length: 10 }, (_, j) => one(i + j)));
  return n;
}

async function rowsIn(scenario, backend) {
  if (scenario.pg) {
    const table = scenario.pg.table;
    const { rows } = await backend.pool.query(
      `SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM "${table}"`,
    );
    const redisRows = Number(
      await backend.redis.sendCommand(['XLEN', `{${scenario.redis.prefix}}:s:essential`]),
    );
    const redisIds = Number(
      await backend.redis.sendCommand(['ZCARD', `{${scenario.redis.prefix}}:time`]),
    );
    return [
      { rows: Number(rows[0].rows), ids: Number(rows[0].ids) },
      { rows: redisRows, ids: redisIds },
    ];
  }
  const { SqliteStore } = await import('express-privacy-log');
  const store = new SqliteStore({ path: scenario.sqlite.path });
  await store.init();
  const n = store.count();
  await store.close();
  return [{ rows: n, ids: n }];
}

async function cleanUp(scenario, backend) {
  if (!scenario.pg) return;
  const t = scenario.pg.table;
  await backend.pool.query(
    `DROP TABLE IF EXISTS "${t}", "${t}_holds", "${t}_consents", "${t}_schema" CASCADE`,
  );
  const pattern = `{${scenario.redis.prefix}}*`;
  let cursor = '0';
  do {
    const [next, keys] = await backend.redis.sendCommand([
      'SCAN',
      cursor,
      'MATCH',
      pattern,
      'COUNT',
      '1000',
    ]);
    if (keys.length > 0) await backend.redis.sendCommand(['UNLINK', ...keys]);
    cursor = next;
  } while (cursor !== '0');
}

async function run(s, backend) {
  const dir = join(work, s.name);
  mkdirSync(dir);
  const config = { worker: s.worker ?? true, queue: s.queue };
  const proxies = [];
  if (s.network) {
    const pgProxy = new TcpProxy(backend.pgUrl.hostname, Number(backend.pgUrl.port || 5432));
    const redisProxy = new TcpProxy(
      backend.redisUrl.hostname,
      Number(backend.redisUrl.port || 6379),
    );
    proxies.push(pgProxy, redisProxy);
    const id = `${s.name}_${process.pid}`;
    config.pg = {
      port: await pgProxy.listen(),
      user: decodeURIComponent(backend.pgUrl.username) || 'postgres',
      database: backend.pgUrl.pathname.slice(1) || 'postgres',
      table: `epl_outage_bench_${id}`,
    };
    config.redis = { port: await redisProxy.listen(), prefix: `epl-outage-bench-${id}` };
    if (s.spill) config.spillDir = join(dir, 'spill');
  } else {
    config.sqlite = { path: join(dir, 'access-log.sqlite'), freezeFile: join(dir, 'frozen') };
  }
  const faultSeconds = s.fault === 'hang' ? settings.hangSeconds : settings.outageSeconds;
  const afterSeconds = s.fault === 'hang' ? settings.afterHangSeconds : settings.afterOutageSeconds;
  const seconds = settings.beforeSeconds + faultSeconds + afterSeconds;
  const samplesFile = join(dir, 'samples.bin');
  const loadAvgBefore = loadavg()[0];

  const server = child(SERVER, [JSON.stringify(config)]);
  let load;
  const window = { from: Number.NaN, to: Number.NaN };
  try {
    const { port } = await server.next((m) => m?.reply === 'listening', 'listening', 60_000);
    const primed = await prime(port, 200);
    await server.call('ready', {}, 60_000);
    const serverCpu = (await server.call('stats')).cpuUs;

    load = child(LOAD, [
      JSON.stringify({
        url: `http://127.0.0.1:${port}`,
        rate: settings.rate,
        warmupSeconds: settings.warmupSeconds,
        seconds,
        out: samplesFile,
      }),
    ]);
    const { measuring } = await load.next((m) => m?.measuring, 'start of the measurement', 60_000);
    const loadDone = load.next((m) => m?.done, 'end of the load', (seconds + 120) * 1000);
    await server.call('mark');
    // The fault, on the wall clock of the measurement (the load sends on its own schedule).
    const faultStart = () => {
      window.from = Date.now();
      if (s.fault === 'outage') for (const proxy of proxies) proxy.down();
      if (s.fault === 'hang') writeFileSync(config.sqlite.freezeFile, 'frozen');
    };
    const faultEnd = () => {
      window.to = Date.now();
      if (s.fault === 'outage') for (const proxy of proxies) proxy.restore();
      if (s.fault === 'hang') rmSync(config.sqlite.freezeFile, { force: true });
    };
    const untilFault = measuring + settings.beforeSeconds * 1000 - Date.now();
    await sleep(Math.max(0, untilFault));
    if (s.fault) faultStart();
    else window.from = Date.now();
    await sleep(faultSeconds * 1000);
    if (s.fault) faultEnd();
    else window.to = Date.now();
    console.log(`  ${s.name}: fault over, load runs ${afterSeconds} s more`);
    const { done } = await loadDone;
    // Before the drain: the serving thread's delays while it served the load.
    const { loopDelay } = await server.call('stats');

    const drained = await server.call(
      'drain',
      { timeoutMs: settings.drainTimeoutSeconds * 1000 },
      (settings.drainTimeoutSeconds + 30) * 1000,
    );
    const raw = readFileSync(samplesFile);
    const samples = new Float64Array(
      raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength),
    );
    const rows = await rowsIn(config, backend);
    const stores = drained.stores.map((st, i) => {
      const dropped = Object.values(st.dropped).reduce((a, b) => a + b, 0);
      return {
        name: st.name,
        accepted: st.accepted,
        written: st.written,
        dropped,
        droppedByReason: Object.fromEntries(Object.entries(st.dropped).filter(([, n]) => n > 0)),
        buffered: st.buffered,
        failures: st.failures,
        peakBuffered: st.peak.buffered,
        peakSpilled: st.peak.spilled,
        invariant: st.accepted === st.written + dropped + st.buffered,
        rows: rows[i]?.rows,
        distinctIds: rows[i]?.ids,
      };
    });
    const spillFilesLeft = config.spillDir
      ? ['pg', 'redis'].flatMap((k) =>
          existsSync(join(config.spillDir, k))
            ? readdirSync(join(config.spillDir, k)).filter((f) => f.endsWith('.ndjson'))
            : [],
        ).length
      : undefined;
    const cpu = drained.cpuUs;
    return {
      name: s.name,
      label: s.label,
      worker: config.worker,
      queue: s.queue,
      spill: Boolean(s.spill),
      fault: s.fault ?? 'none',
      faultSeconds,
      // Every request the server got: the priming ones, the warm-up and the measured ones.
      requestsSent: primed + done.sent,
      failedRequests: done.failed,
      errors: done.errors,
      all: latency(samples),
      before: latency(samples, 0, window.from),
      during: latency(samples, window.from, window.to),
      after: latency(samples, window.to),
      // Seconds from the start of the measured part; the fault began at `faultAtSecond`.
      faultAtSecond: (window.from - measuring) / 1000,
      timeline: timeline(samples, measuring),
      loopDelay,
      stores,
      spillFilesLeft,
      serverCpuUs: (cpu.user - serverCpu.user + cpu.system - serverCpu.system) | 0,
      clientCpuUsPerRequest: done.clientCpuUsPerRequest,
      loadAvg: { before: loadAvgBefore, after: loadavg()[0] },
    };
  } finally {
    for (const proxy of proxies) proxy.restore();
    if (config.sqlite) rmSync(config.sqlite.freezeFile, { force: true });
    await load?.end();
    try {
      await server.call('close', {}, 30_000);
    } catch (err) {
      console.error(`  ${s.name}: close: ${err.message.split('\n')[0]}`);
    }
    await server.end();
    for (const proxy of proxies) await proxy.close();
    if (s.network) await cleanUp(config, backend).catch(() => {});
  }
}

const machine = lib.machine();
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
const results = {
  date: new Date().toISOString(),
  command: `node bench/outage.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  machine,
  settings,
  scenarios: [],
  skipped: [],
  failed: [],
};
const needsServices = chosen.some((s) => s.network);
const backend = needsServices ? await services() : {};
for (const s of chosen) {
  if (s.network && backend.why) {
    console.log(`skipped: ${s.name} ${s.label} (${backend.why})`);
    results.skipped.push({ name: s.name, label: s.label, reason: backend.why });
    continue;
  }
  console.log(`${s.name}: ${s.label} (${settings.rate} requests/s)`);
  try {
    results.scenarios.push(await run(s, backend));
  } catch (err) {
    // One scenario that breaks (a server that does not start) leaves the others' figures.
    console.error(`${s.name} failed: ${err.stack ?? err}`);
    results.failed.push({ name: s.name, label: s.label, error: String(err.stack ?? err) });
    process.exitCode = 1;
  }
}
if (backend.pool) await backend.pool.end();
backend.redis?.destroy();

const baseline = results.scenarios.find((s) => s.name === 'a');
const ms = (v) => lib.fixed(v, 1);
const latencyHeader = [
  'scenario',
  'p50 ms',
  'p99 ms',
  'p99 - a',
  'p99 before',
  'p99 fault',
  'max ms',
  'loop p99',
  'loop max',
  'failed',
  'sent',
  'lag p99',
];
const latencyRows = results.scenarios.map((s) => [
  `${s.name} ${s.label}`,
  ms(s.all.p50Ms),
  ms(s.all.p99Ms),
  baseline ? ms(s.all.p99Ms - baseline.all.p99Ms) : 'n/a',
  ms(s.before.p99Ms),
  ms(s.during.p99Ms),
  ms(s.all.maxMs),
  ms(s.loopDelay.p99Ms),
  ms(s.loopDelay.maxMs),
  s.failedRequests,
  s.requestsSent,
  ms(s.all.clientLagP99Ms),
]);
const storeHeader = [
  'scenario',
  'store',
  'accepted',
  'written',
  'dropped',
  'buffered',
  'peak buffered',
  'peak spilled',
  'rows',
  'invariant',
];
const storeRows = results.scenarios.flatMap((s) =>
  s.stores.map((st) => [
    s.name,
    st.name,
    st.accepted,
    st.written,
    st.dropped === 0
      ? '0'
      : `${st.dropped} (${Object.entries(st.droppedByReason)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')})`,
    st.buffered,
    st.peakBuffered,
    st.peakSpilled,
    st.rows === st.distinctIds ? st.rows : `${st.rows} (${st.distinctIds} ids)`,
    st.invariant ? 'holds' : 'BROKEN',
  ]),
);
console.log(
  `\nLatency over HTTP at ${settings.rate} requests/s (measured part; 'p99 before' and 'p99 fault': the 5 s before the fault and the fault itself; 'loop': the server's event-loop delay, its serving thread held up; 'lag': how late the client sent, its own delay)`,
);
console.log(lib.table(latencyHeader, latencyRows));
console.log('\nRecords per store once the logger had written what it could');
console.log(lib.table(storeHeader, storeRows));
results.markdown = {
  latency: lib.markdownTable(latencyHeader, latencyRows),
  stores: lib.markdownTable(storeHeader, storeRows),
};
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nresults written to ${outFile}`);
