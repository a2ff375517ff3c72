// Where one thread of a benchmark server spends its CPU time, by function, from Linux `perf`
// sampling (software clock, so it works in virtual machines without hardware counters), with
// V8's compiled JavaScript named through `--perf-basic-prof-only-functions`. The figure per
// function is microseconds of that thread per request over the window. Callgrind
// (bench/instructions.js) counts instructions exactly but not the kernel's work or what an
// instruction costs; this samples real time, kernel included, at the price of the machine's noise.
//
//   node bench/perf.js VARIANT [--thread main|worker|all] [--requests N] [--warmup N]
//                              [--top N] [--call-graph] [--keep FILE] [--no-build]
//
// --thread worker samples the busiest thread other than the serving one (the worker, in worker
// mode); all samples the whole process, every thread. Defaults: the serving thread, 60,000
// warm-up and 20,000 measured requests from 10 connections, the top 40 functions.
//
// --call-graph records call chains (V8's compiled code keeps frame pointers) and ranks functions
// by their inclusive time, callees counted: which of the project's functions a thread's time is
// spent under, where the default ranking by own time names mostly V8's and libc's internals.
//
// Needs `perf` (Debian: linux-perf) and permission to sample the server (root, or
// kernel.perf_event_paranoid at most 1). Without either it says so and exits with status 2.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    thread: { type: 'string', default: 'main' },
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '60000' },
    top: { type: 'string', default: '40' },
    'call-graph': { type: 'boolean', default: false },
    keep: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});
const variant = positionals[0];
if (!variant || !['main', 'worker', 'all'].includes(args.thread)) {
  console.error('usage: node bench/perf.js VARIANT [--thread main|worker|all] [--requests N] ...');
  process.exit(2);
}
const requests = Number(args.requests);
const SAMPLES_PER_SECOND = 4000;

const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  console.error('perf is not installed (Debian: apt-get install linux-perf)');
  process.exit(2);
}
if (!args['no-build']) buildDist();
// Imported only now: the load generator's traffic module imports dist/, which the build makes.
const { startServer } = await import('./lib.js');
const { drive } = await import('./loadgen.js');

/** CPU ticks of each thread of `pid` but the first, busiest first. */
function otherThreads(pid) {
  return readdirSync(`/proc/${pid}/task`)
    .filter((tid) => tid !== String(pid))
    .map((tid) => {
      // Fields after the command name (which may hold spaces): utime and stime are 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
        .split(') ')[1]
        .split(' ');
      return { tid, ticks: Number(fields[11]) + Number(fields[12]) };
    })
    .sort((a, b) => b.ticks - a.ticks);
}

const dir = mkdtempSync(join(tmpdir(), 'epl-perf-'));
const data = args.keep ?? join(dir, 'perf.data');
const server = await startServer(variant, {
  dir,
  execArgv: ['--perf-basic-prof-only-functions'],
});
let report;
try {
  const load = (seed, amount) =>
    drive({ url: server.url, connections: 10, seed, visitorCookies: [], amount });
  await load(1000, Number(args.warmup));
  const target =
    args.thread === 'main'
      ? ['-t', String(server.pid)]
      : args.thread === 'worker'
        ? ['-t', otherThreads(server.pid)[0].tid]
        : ['-p', String(server.pid)];
  const recorder = spawn(
    'perf',
    [
      'record',
      ...(args['call-graph'] ? ['-g'] : []),
      '-q',
      '-e',
      'cpu-clock',
      '-F',
      String(SAMPLES_PER_SECOND),
      ...target,
      '-o',
      data,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const recorderExit = new Promise((resolve) => recorder.once('exit', resolve));
  // perf needs a moment to attach; samples before the window are few and counted alike.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await server.start();
  await load(100_000, requests);
  const measured = await server.stop();
  recorder.kill('SIGINT');
  const code = await recorderExit;
  if (code !== 0 && code !== null) throw new Error(`perf record exited with ${code}`);
  report = { measured };
} finally {
  await server.close();
}

// With call chains: inclusive time ("children"), the call chains themselves left out.
const reportArgs = args['call-graph'] ? ['--children', '-g', 'none'] : [];
const listed = spawnSync(
  'perf',
  ['report', '-i', data, '-n', ...reportArgs, '--sort', 'sym', '--stdio'],
  {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  },
);
if (listed.status !== 0) {
  console.error(listed.stderr);
  process.exit(1);
}
/** Microseconds of the sampled thread per request for `samples` samples. */
const perRequest = (samples) => (samples * 1e6) / SAMPLES_PER_SECOND / requests;
let rows = [];
for (const line of listed.stdout.split('\n')) {
  // Own time: "share samples [k] name"; with call chains "inclusive-share own-share samples ...",
  // the samples being the function's own.
  const match = /^\s*(?:([\d.]+)%\s+)?[\d.]+%\s+(\d+)\s+\[(.)\]\s+(.*)$/.exec(line);
  if (!match) continue;
  rows.push({
    inclusive: match[1] === undefined ? undefined : Number(match[1]),
    us: perRequest(Number(match[2])),
    where: match[3] === 'k' ? 'kernel' : 'user',
    name: match[4].trim(),
  });
}
const total = rows.reduce((sum, r) => sum + r.us, 0);
const kernel = rows.filter((r) => r.where === 'kernel').reduce((sum, r) => sum + r.us, 0);
if (args['call-graph']) {
  // Every thread's time is under the event loop's own frames: list the JavaScript functions.
  rows = rows
    .filter((r) => r.name.startsWith('JS:'))
    .map((r) => ({ ...r, us: (r.inclusive / 100) * total }))
    .sort((a, b) => b.us - a.us);
}
const m = report.measured;
console.log(
  `${variant}, ${args.thread} thread${args.thread === 'all' ? 's' : ''}: ${total.toFixed(1)} µs per request sampled ` +
    `(${kernel.toFixed(1)} in the kernel); the server measured ${((m.userUs + m.systemUs) / m.requests).toFixed(1)} µs ` +
    `for the process and ${(m.mainThreadUs / m.requests).toFixed(1)} for the serving thread`,
);
for (const r of rows.slice(0, Number(args.top))) {
  console.log(
    `${r.us.toFixed(2).padStart(7)}  ${r.where === 'kernel' ? '[k] ' : ''}${r.name.slice(0, 140)}`,
  );
}
if (!args.keep) rmSync(dir, { recursive: true, force: true });
