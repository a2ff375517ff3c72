// One benchmark server, run as a child process by bench/run.js: `node bench/server.js VARIANT`.
// It listens on a free loopback port and measures its own CPU time (process.cpuUsage: user and
// system, all threads) between a `start` and a `stop` message from the parent, over IPC. `stop`
// first waits for the access log to write everything captured in the window, so the figure
// includes the background stage and the store, not only the request path.
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import { createVariant } from './app.js';

const name = process.argv[2];
const dir = process.env.BENCH_DIR;
if (!name || !dir || typeof process.send !== 'function') {
  console.error('usage: run by bench/run.js (needs a variant name, BENCH_DIR and an IPC channel)');
  process.exit(2);
}

const variant = await createVariant(name, { dir, pgUrl: process.env.PG_URL });
const server = createServer(variant.app);
// Generous keep-alive: the load generator holds its connections through a whole measurement.
server.keepAliveTimeout = 60_000;
let counting = false;
let requests = 0;
let lastRequestAt = 0;
server.on('request', () => {
  if (!counting) return;
  requests++;
  lastRequestAt = performance.now();
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');

let started;
/**
 * CPU microseconds (user + system) of one thread of this process, from
 * `/proc/self/task/<tid>/stat` in ticks of 10 ms; undefined where there is no such file (not Linux,
 * or the thread ended).
 */
function threadUs(tid) {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/**
 * The serving thread's CPU alone. In worker mode the process total includes the worker; this is
 * the serving thread's share.
 */
const mainThreadUs = () => threadUs(process.pid);

/**
 * CPU microseconds of each thread of this process by thread id (Linux; an empty map elsewhere).
 * Threads that end between two readings drop out, so the per-thread figures may sum to a little
 * less than process.cpuUsage().
 */
function threadsUs() {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    // No /proc: not Linux.
  }
  for (const tid of tids) {
    const us = threadUs(tid);
    if (us !== undefined) out.set(Number(tid), us);
  }
  return out;
}

/**
 * The window's CPU outside the serving thread, split in two: the busiest other thread (in worker
 * mode, the library's worker) and the rest (V8's compiler and GC helpers, libuv's pool).
 */
function otherThreads(before, after) {
  const used = [];
  for (const [tid, us] of after) {
    if (tid === process.pid) continue;
    used.push(us - (before.get(tid) ?? 0));
  }
  if (used.length === 0) return { busiestUs: undefined, restUs: undefined };
  used.sort((a, b) => b - a);
  return { busiestUs: used[0], restUs: used.slice(1).reduce((sum, us) => sum + us, 0) };
}

/** Let 'close' handlers of the last responses run, then wait until the log wrote everything. */
async function settle() {
  await tick();
  await variant.logger?.flush();
}

const handlers = {
  async start() {
    await settle();
    // No forced full collection here: one right before a window deoptimises compiled code that
    // referred to objects it freed ("weak objects" in --trace-deopt), and the window then pays
    // TurboFan recompiling dozens of hot functions, which no steady-state server pays (gdpr in
    // worker mode: 65 compilations in 5,000 requests after it, 13 without; under callgrind bare
    // Express counted 559 and 122 thousand instructions per request instead of 586 and 249).
    // The logger's counters so far, for the caller to take from the window's end: read before
    // the window opens, so that reading them is not counted in it.
    const stats = variant.logger?.stats();
    requests = 0;
    counting = true;
    started = {
      cpu: process.cpuUsage(),
      main: mainThreadUs(),
      threads: threadsUs(),
      time: process.hrtime.bigint(),
      at: performance.now(),
    };
    return { stats };
  },
  async stop() {
    counting = false;
    await settle();
    const cpu = process.cpuUsage(started.cpu);
    const main = mainThreadUs();
    const { busiestUs, restUs } = otherThreads(started.threads, threadsUs());
    const elapsedMs = Number(process.hrtime.bigint() - started.time) / 1e6;
    const memory = process.memoryUsage();
    return {
      requests,
      userUs: cpu.user,
      systemUs: cpu.system,
      mainThreadUs:
        main === undefined || started.main === undefined ? undefined : main - started.main,
      busiestOtherThreadUs: busiestUs,
      restThreadsUs: restUs,
      elapsedMs,
      // From the start of the window to the last request's arrival: the load, without the wait.
      activeMs: lastRequestAt - started.at,
      // resourceUsage().maxRSS is in KiB: the peak since this process started.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      stats: variant.logger?.stats(),
    };
  },
  async close() {
    server.closeAllConnections();
    server.close();
    await variant.close();
    return {};
  },
};

process.on('message', (message) => {
  const handler = handlers[message?.cmd];
  if (!handler) return;
  handler().then(
    (result) => process.send({ reply: message.cmd, ...result }),
    (err) => process.send({ reply: message.cmd, error: String(err?.stack ?? err) }),
  );
});
// The parent going away (a crash, Ctrl-C) ends this server too.
process.on('disconnect', () => process.exit(0));
process.send({ reply: 'listening', port: server.address().port });
