// Instructions per request counted by valgrind's callgrind, for bench/instructions.js and the
// "Instructions per request" section of bench/run.js: a figure that does not move with the load of
// a shared machine, beside the noisy CPU times. Each variant's server (bench/server.js) runs under
// callgrind with one counter per thread; after a warm-up the counters are zeroed, the measured
// requests are sent (the visitor streams of bench/traffic.js, cookies fed back), and the counters
// dumped. The load generator is outside callgrind; only the server counts.
//
// The server starts with callgrind's counting off (--instr-atstart=no), which runs it only some 5
// times slower than natively, and counting is switched on after the warm-up: so the warm-up can be
// long, and it has to be. V8 keeps compiling with TurboFan for tens of thousands of requests, on
// helper threads that the "others" figure counts, and a function still in its baseline tier costs
// the serving thread more too. gdpr in worker mode, 8 connections: after 3,000 requests of warm-up
// 769 thousand on the serving thread and 724 on the others; after 30,000, 729 and 493 (bare
// Express: 618 and 197, then 598 and 231). With the worker's 2,000-record batches 30,000 was not
// enough either: classic in worker mode (8,000 requests from 8 connections) counted 353, 369 and
// 372 thousand on the others after 30,000 and 300 and 341 after 60,000, which is the default now
// (as in the CPU section). 60,000 warm-up and 2,000 measured requests take one to two minutes per
// variant, some 12 s of which is Node starting under valgrind.
//
// How to read the worker variants: at callgrind's pace a hand-over batch (which waits at most
// 20 ms) holds only the requests of that moment, one per connection at most, so each pays a
// larger share of a message to the worker than on a busy site; the CPU section measures that
// regime, in CPU time.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib.js';

/** Why instructions cannot be counted on this machine, or undefined when they can. */
export function callgrindMissing() {
  if (spawnSync('valgrind', ['--version']).error) return 'valgrind is not installed';
  if (spawnSync('callgrind_control', ['--version']).error) {
    return 'callgrind_control is not installed';
  }
  return undefined;
}

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

/** The thread a callgrind dump counted (its `thread:` header; 1, the main thread, without one). */
function threadOf(text) {
  return Number(/^thread: (\d+)/m.exec(text)?.[1] ?? 1);
}

/** Totals of every callgrind output file in `dir` whose name starts with `prefix`, by thread. */
export function threadTotals(dir, prefix) {
  const totals = new Map();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    const thread = threadOf(text);
    const total = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1] ?? 0);
    totals.set(thread, (totals.get(thread) ?? 0) + total);
  }
  return totals;
}

/** What a helper thread's instructions were spent on, by the V8 or libc function that spent them. */
const WORK_KINDS = [
  ['compiling', /v8::internal::(compiler|maglev|turboshaft)::|OptimizedCompilationJob|Turbofan/],
  ['marking', /Marking|MarkCompact|MemoryChunkData|Ephemeron/],
  ['scavenging', /Scaveng|Evacuat|Promoted/],
  ['sweeping', /Sweep|FreeList/],
];

/**
 * Self costs by function from callgrind_annotate's report (`--inclusive=no`): each function's own
 * instructions, callees not included, as [instructions, function] pairs.
 */
export function parseAnnotate(text) {
  const costs = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([\s\d.]+%\)\s+(.*)$/.exec(line);
    if (m && !m[2].includes('PROGRAM TOTALS')) costs.push([Number(m[1].replaceAll(',', '')), m[2]]);
  }
  return costs;
}

/**
 * What the threads other than the serving one did, in instructions, from each one's self costs:
 * `javascript`, the threads that ran JavaScript (the worker, in worker mode: V8's builtins ran
 * there), and the helper threads' work by kind (see WORK_KINDS; `other` is the rest, libc's
 * copies and allocation included). A garbage collection's work is shared between the thread whose
 * heap it is and the helpers; only the helpers' share is split by kind here.
 *
 * @param {[number, string][][]} threads self costs of each thread but the serving one
 */
export function splitOtherThreads(threads) {
  const work = { javascript: 0, compiling: 0, marking: 0, scavenging: 0, sweeping: 0, other: 0 };
  for (const costs of threads) {
    if (costs.some(([, fn]) => fn.includes('Builtins_'))) {
      for (const [n] of costs) work.javascript += n;
      continue;
    }
    for (const [n, fn] of costs)
      work[WORK_KINDS.find(([, re]) => re.test(fn))?.[0] ?? 'other'] += n;
  }
  return work;
}

/** {@link splitOtherThreads} of the dumps in `dir` whose names start with `prefix`. */
function otherThreadWork(dir, prefix) {
  const threads = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const file = join(dir, name);
    if (threadOf(readFileSync(file, 'utf8')) === 1) continue;
    const report = spawnSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', file], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    threads.push(parseAnnotate(report.stdout ?? ''));
  }
  return splitOtherThreads(threads);
}

/**
 * The reverse-DNS lookups of a window, from the logger's counters at its start and end: at
 * callgrind's pace a lookup relayed to the serving thread may miss its deadline where at full
 * speed it would not (`timeouts`), and fewer records find every lookup slot taken (`busy`): the
 * worker then does other work than at full speed, which these say how much.
 */
function windowLookups(before, after) {
  if (after?.domain === undefined) return undefined;
  const delta = (key) => after.domain[key] - (before?.domain?.[key] ?? 0);
  return {
    lookups: delta('lookups'),
    cacheHits: delta('cacheHits'),
    timeouts: delta('timeouts'),
    busy: delta('busy'),
  };
}

/** The callgrind files of a kept directory (not the server's SQLite files). */
function keepFile(path) {
  return !/\.sqlite/.test(path);
}

/**
 * Run one variant under callgrind: instructions per measured request on the serving thread
 * (`serving`) and on every other thread (`others`: the worker, and V8's helper threads).
 *
 * @param {string} variant
 * @param {{ warmup: number, requests: number, connections: number, keep?: string,
 *   split?: boolean }} options
 *   `keep`: copy the variant's callgrind files to `keep/VARIANT/`, for callgrind_annotate;
 *   `split`: say what the other threads did (see otherThreadWork), per request
 * @returns {Promise<{ variant: string, serving: number, others: number,
 *   lookups?: Record<string, number>, split?: Record<string, number> }>} `lookups`: see
 *   windowLookups, for a variant with reverse DNS
 */
export async function measureInstructions(
  variant,
  { warmup, requests, connections, keep, split = false },
) {
  // Loaded here: the traffic module reads the library's build, which may not exist at import.
  const { Visitors } = await import('./traffic.js');
  const dir = mkdtempSync(join(tmpdir(), `bench-cg-${variant}-`));
  const out = join(dir, 'cg');
  let server;
  try {
    server = await startServer(variant, {
      dir,
      wrapper: [
        'valgrind',
        '--tool=callgrind',
        '--separate-threads=yes',
        `--callgrind-out-file=${out}.%p`,
        '--dump-instr=no',
        '--instr-atstart=no',
      ],
      // Node takes some 12 s to start under valgrind on a 2-core machine, more when it is busy.
      timeoutMs: 300_000,
    });
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
            visitors.receive(await send(agent, server.port, visitors.next()));
        }),
      );
    await drive(warmup);
    // Lets the log write what the warm-up captured.
    const { stats: statsBefore } = await server.start();
    const control = (flag) => spawnSync('callgrind_control', [flag, String(server.pid)]);
    control('--instr=on');
    control('--zero');
    await drive(requests);
    // The worker writes what the window captured before the counters are read.
    const { stats } = await server.stop();
    control('--dump');
    const totals = threadTotals(dir, `cg.${server.pid}`);
    for (const { agent } of streams) agent.destroy();
    // The main thread is callgrind's thread 1; in worker mode the worker is the highest-numbered
    // thread that ran JavaScript, but V8's helper threads count too: everything but thread 1 is
    // "others".
    let others = 0;
    for (const [thread, total] of totals) if (thread !== 1) others += total;
    const result = {
      variant,
      serving: (totals.get(1) ?? 0) / requests,
      others: others / requests,
      lookups: windowLookups(statsBefore?.enrichment, stats?.enrichment),
    };
    if (split) {
      const work = otherThreadWork(dir, `cg.${server.pid}`);
      for (const kind of Object.keys(work)) work[kind] /= requests;
      result.split = work;
    }
    return result;
  } finally {
    await server?.close();
    if (keep) cpSync(dir, join(keep, variant), { recursive: true, filter: keepFile });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each variant's figures with its ratios to bare Express, which must be among `rows`: `serving`
 * alone, and `whole` (serving + others).
 */
export function withRatios(rows) {
  const bare = rows.find((r) => r.variant === 'bare');
  if (!bare) throw new Error('the instruction counts need bare Express as their reference');
  const bareWhole = bare.serving + bare.others;
  return rows.map((r) => ({
    ...r,
    whole: r.serving + r.others,
    servingRatioToBare: r.serving / bare.serving,
    wholeRatioToBare: (r.serving + r.others) / bareWhole,
  }));
}
