// Instructions per request on the serving thread, and on the worker thread, counted by valgrind's
// callgrind: a figure that does not move with the load of a shared machine, beside the noisy CPU
// times of bench/run.js. Each variant's server (bench/server.js) runs under callgrind with one
// counter per thread; after a warm-up the counters are zeroed, the measured requests are sent one
// at a time (the same visitor stream as bench/run.js, cookies fed back), and the counters dumped.
//
//   node bench/instructions.js [--only a,b] [--requests N] [--warmup N] [--connections N]
//                              [--no-build] [--keep DIR]
//
// --connections N sends from N kept-alive connections at once (default 1), each a visitor stream
// of its own: the worker variants' hand-over batches then hold several requests, nearer the
// regime of a busy site.
//
// --keep DIR copies each variant's callgrind files there (DIR/VARIANT/), for callgrind_annotate:
// the worker is the thread with the most instructions after the serving thread.
//
// Needs valgrind (callgrind_control comes with it). The server starts with callgrind's counting
// off (--instr-atstart=no), which runs it only some 5 times slower than natively, and counting is
// switched on after the warm-up: so the warm-up can be long, and it has to be. V8 keeps compiling
// with TurboFan for tens of thousands of requests, on helper threads that the "others" column
// counts, and a function still in its baseline tier costs the serving thread more too. gdpr in
// worker mode, 8 connections: after 3,000 requests of warm-up 769 thousand on the serving thread
// and 724 on the others; after 30,000, 729 and 493 (bare Express: 618 and 197, then 598 and 231).
// The server runs without --expose-gc, so its `start` forces no full collection (see measure()):
// bare Express then counted 559 and 122 instead of 586 and 249.
// Defaults: 30,000 warm-up and 2,000 measured requests, about a minute per variant. The load
// generator is outside callgrind; only the server counts.
//
// How to read the worker variants: at callgrind's pace every request is the only one in its
// hand-over batch (a batch waits at most 20 ms), so each pays a whole message to the worker, as
// on a site with a request every few seconds. Under load a batch holds dozens of requests and
// that cost is shared; bench/run.js measures that regime, in CPU time.
import { fork, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));
const DEFAULT_VARIANTS =
  'bare,floor,floor-ip,morgan,pino-http,strict-worker,gdpr-worker,cookieless-worker,ccpa-worker,classic-worker';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '30000' },
    connections: { type: 'string', default: '1' },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'string' },
  },
});
const variants = (args.only ?? DEFAULT_VARIANTS).split(',').filter(Boolean);
if (!variants.includes('bare')) variants.unshift('bare');
const measured = Number(args.requests);
const warmup = Number(args.warmup);
const connections = Number(args.connections);
if (!Number.isInteger(connections) || connections < 1) {
  console.error('--connections must be a positive integer');
  process.exit(2);
}

if (spawnSync('valgrind', ['--version']).error) {
  console.error('valgrind is not installed: this benchmark counts instructions with callgrind');
  process.exit(1);
}
if (!args['no-build']) buildDist();
const { Visitors } = await import('./traffic.js');

/** One GET over a kept-alive connection; resolves to the response's Set-Cookie lines. */
function send(agent, port, next) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: next.method,
        path: next.path,
        headers: next.headers,
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers['set-cookie']));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Totals of every callgrind output file in `dir` whose name starts with `prefix`, by thread. */
function threadTotals(dir, prefix) {
  const totals = new Map();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    const thread = Number(/^thread: (\d+)/m.exec(text)?.[1] ?? 1);
    const total = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1] ?? 0);
    totals.set(thread, (totals.get(thread) ?? 0) + total);
  }
  return totals;
}

/** The callgrind files of a kept directory (not the server's SQLite files). */
function keepFile(path) {
  return !/\.sqlite/.test(path);
}

/** Run one variant under callgrind; instructions per request on each thread. */
async function measure(variant) {
  const dir = mkdtempSync(join(tmpdir(), `bench-cg-${variant}-`));
  const out = join(dir, 'cg');
  const child = fork(SERVER, [variant], {
    execPath: 'valgrind',
    execArgv: [
      '--tool=callgrind',
      '--separate-threads=yes',
      `--callgrind-out-file=${out}.%p`,
      '--dump-instr=no',
      '--instr-atstart=no',
      process.execPath,
      // No --expose-gc: the server's `start` would then force a full collection, and one right
      // before the counters start deoptimises the compiled code that referred to objects it freed
      // ("weak objects" in --trace-deopt): the measured window then paid TurboFan recompiling
      // dozens of hot functions (gdpr in worker mode: 65 compilations in 5,000 requests after
      // such a collection, 13 without), a cost no steady-state server pays.
    ],
    // The retention schedule off (bench/app.js): its first run, one to six minutes after the
    // start, falls in the measured window of most variants at callgrind's pace, and rolls every
    // record up on the serving thread (strict in worker mode: 2,646 thousand instructions per
    // request on the serving thread in such a window, against 693).
    env: { ...process.env, BENCH_DIR: dir, BENCH_RETENTION: 'off' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const listening = await new Promise((resolve, reject) => {
    child.on('message', (m) => m?.reply === 'listening' && resolve(m));
    child.once('exit', (code) => reject(new Error(`${variant} exited (${code})\n${stderr}`)));
  });
  const call = (cmd) =>
    new Promise((resolve) => {
      const onMessage = (m) => {
        if (m?.reply !== cmd) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.send({ cmd });
    });
  const { Agent } = await import('node:http');
  const streams = Array.from({ length: connections }, (_, i) => ({
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    visitors: new Visitors({ seed: 7 + i, visitorCookies: [], feedback: true }),
  }));
  /** `n` requests in all, shared out over the streams, which send at the same time. */
  const drive = (n) =>
    Promise.all(
      streams.map(async ({ agent, visitors }, s) => {
        const share = Math.floor(n / connections) + (s < n % connections ? 1 : 0);
        for (let i = 0; i < share; i++)
          visitors.receive(await send(agent, listening.port, visitors.next()));
      }),
    );
  await drive(warmup);
  await call('start'); // lets the log write what the warm-up captured
  const control = (flag) => spawnSync('callgrind_control', [flag, String(child.pid)]);
  control('--instr=on');
  control('--zero');
  await drive(measured);
  await call('stop'); // the worker writes what the window captured before the counters are read
  control('--dump');
  const totals = threadTotals(dir, `cg.${child.pid}`);
  for (const { agent } of streams) agent.destroy();
  await call('close');
  child.disconnect();
  await new Promise((resolve) => child.once('exit', resolve));
  if (args.keep) cpSync(dir, join(args.keep, variant), { recursive: true, filter: keepFile });
  rmSync(dir, { recursive: true, force: true });
  // The main thread is callgrind's thread 1; in worker mode the worker is the highest-numbered
  // thread that ran JavaScript, but V8's helper threads count too: everything but thread 1 is
  // "other threads".
  const main = totals.get(1) ?? 0;
  let other = 0;
  for (const [thread, total] of totals) if (thread !== 1) other += total;
  return { variant, main: main / measured, other: other / measured };
}

const rows = [];
for (const variant of variants) {
  process.stdout.write(`${variant} ... `);
  const r = await measure(variant);
  rows.push(r);
  console.log(`${Math.round(r.main / 1000)}k on the serving thread`);
}
const bare = rows.find((r) => r.variant === 'bare');
console.log(
  `\nInstructions per request (thousands), ${connections === 1 ? 'one request at a time' : `${connections} connections at once`}, after warm-up:`,
);
console.log(
  'variant'.padEnd(20),
  'serving'.padStart(9),
  'x bare'.padStart(7),
  'others'.padStart(9),
  'total x bare'.padStart(13),
);
for (const r of rows) {
  console.log(
    r.variant.padEnd(20),
    String(Math.round(r.main / 1000)).padStart(9),
    (r.main / bare.main).toFixed(2).padStart(7),
    String(Math.round(r.other / 1000)).padStart(9),
    ((r.main + r.other) / (bare.main + bare.other)).toFixed(2).padStart(13),
  );
}
