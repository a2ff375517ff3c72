// `npm run bench [-- options]`: build the library, then measure the server's CPU time per request of
// bare Express, morgan, pino-http and this library under several policies and stores, alternating
// the variants over several rounds; then run the micro benchmarks (bench/micro.js). Prints a table
// and writes bench/results.json. Options:
//
//   --quick             a smoke run of a few minutes (few requests, two rounds; the variants
//                       marked `full` in bench/app.js, which repeat another's code, are left out)
//   --rounds N          rounds of the HTTP benchmark (default 5; quick 2)
//   --requests N        measured requests per variant and round (default 20000; quick 1000)
//   --warmup N          requests before each measurement, in both sections (default 60000; quick
//                       500): a server's first thousands of requests are still compiled by
//                       TurboFan on V8's helper threads, which counts as CPU time (see below)
//   --connections N     concurrent connections of the load generator (default 10)
//   --only a,b          run only these variants (bare is always added, as the reference)
//   --no-build          use dist/ as it is
//   --no-micro          skip the micro benchmarks; --micro-only skips the HTTP benchmark and the
//                       start-up figures (bench/startup.js: import time, idle memory per preset)
//   --no-startup        skip the start-up figures
//   --no-saturation     skip the saturation section: bare, gdpr (in-process and worker), morgan and
//                       pino-http driven as fast as they answer (bench/saturation.js), with the CPU
//                       of the server, of the load generator (a child process) and of the machine
//   --saturation-only   run only the saturation section
//   --saturation-seconds N      measured seconds per variant and round (default 5; quick 1)
//   --saturation-rounds N       rounds of the saturation section (default 3; quick 1)
//   --saturation-connections N  connections of its load generator (default 50)
//   --no-instructions   skip the section "Instructions per request (callgrind)": the variants of the
//                       CPU section, each under valgrind's callgrind (bench/callgrind.js), 8
//                       connections; it runs by default where valgrind is installed, about a
//                       minute per variant (quick: bare and gdpr-worker only, both at once)
//   --instructions-only run only that section
//   --instructions-requests N   measured requests per variant (default 2000; quick 100)
//   --instructions-warmup N     requests before counting starts (default 60000; quick 300)
//   --profile DIR       write a V8 CPU profile of every server of the CPU section (and the micro run)
//   --out FILE          where to write the JSON results (default bench/results.json)
//   --outage            also run the outage scenarios (bench/outage.js, about 6 minutes; never part
//                       of the default or --quick run); their results go to
//                       bench/outage-results.json. Run bench/outage.js itself for its options.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    requests: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    'no-micro': { type: 'boolean', default: false },
    'micro-only': { type: 'boolean', default: false },
    'no-startup': { type: 'boolean', default: false },
    'no-saturation': { type: 'boolean', default: false },
    'saturation-only': { type: 'boolean', default: false },
    'saturation-seconds': { type: 'string' },
    'saturation-rounds': { type: 'string' },
    'saturation-connections': { type: 'string' },
    'no-instructions': { type: 'boolean', default: false },
    'instructions-only': { type: 'boolean', default: false },
    'instructions-requests': { type: 'string' },
    'instructions-warmup': { type: 'string' },
    profile: { type: 'string' },
    out: { type: 'string' },
    outage: { type: 'boolean', default: false },
  },
});

const count = (value, fallback, name) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const quick = args.quick;
/**
 * Requests before each measured window of the CPU, saturation and instruction sections. In worker mode the
 * worker takes records 2,000 at a time, so after 30,000 requests it had handled 15 batches and was
 * still compiling its hot functions: a 10,000-request window of classic in worker mode paid 45
 * TurboFan compilations (125 ms of compiler time) after 30,000, 29 (74 ms) after 60,000, and bare
 * Express 25 (69 ms) at any of them (node --trace-opt).
 */
const WARMUP = 60_000;
const settings = {
  quick,
  rounds: count(args.rounds, quick ? 2 : 5, 'rounds'),
  requests: count(args.requests, quick ? 1000 : 20_000, 'requests'),
  // The CPU a steady server spends per request, not its start: gdpr in worker mode (two isolates)
  // completed 269 TurboFan compilations in its first 10,000 requests, 55 in the next 10,000, 18,
  // then about 10 per 10,000 (node --trace-opt); after 5,000 requests the window paid for some
  // 150 of them, every variant a share that grows with its code.
  warmup: count(args.warmup, quick ? 500 : WARMUP, 'warmup'),
  connections: count(args.connections, 10, 'connections'),
  saturation:
    args['no-saturation'] || args['micro-only']
      ? undefined
      : {
          rounds: count(args['saturation-rounds'], quick ? 1 : 3, 'saturation-rounds'),
          seconds: count(args['saturation-seconds'], quick ? 1 : 5, 'saturation-seconds'),
          // Requests at full speed before each window, as many as the paced section's warm-up.
          warmupRequests: count(args.warmup, quick ? 500 : WARMUP, 'warmup'),
          connections: count(args['saturation-connections'], 50, 'saturation-connections'),
        },
  instructions:
    args['no-instructions'] || args['micro-only'] || args['saturation-only']
      ? undefined
      : {
          // Two connections in a smoke run: enough to see batches of more than one request.
          connections: quick ? 2 : 8,
          warmup: count(args['instructions-warmup'], quick ? 300 : WARMUP, 'instructions-warmup'),
          requests: count(
            args['instructions-requests'],
            quick ? 100 : 2000,
            'instructions-requests',
          ),
        },
};
if (args['saturation-only'] && !settings.saturation) {
  throw new Error('--saturation-only cannot be combined with --no-saturation or --micro-only');
}
if (args['instructions-only'] && !settings.instructions) {
  throw new Error(
    '--instructions-only cannot be combined with --no-instructions, --micro-only or --saturation-only',
  );
}
// Only the instruction counts: every other section is off.
if (args['instructions-only']) settings.saturation = undefined;
const cpuSection = !args['micro-only'] && !args['saturation-only'] && !args['instructions-only'];
const outFile = resolve(args.out ?? join(ROOT, 'bench/results.json'));
const profileDir = args.profile ? resolve(args.profile) : undefined;

if (!args['no-build']) buildDist();

// Imported after the build: these load the library from dist/.
const { drive } = await import('./loadgen.js');
const saturation = await import('./saturation.js');
const callgrind = await import('./callgrind.js');
const { VARIANTS } = await import('./app.js');
const lib = await import('./lib.js');
const { CHOICE_COOKIE, CONSENT, HOST } = await import('./traffic.js');

const machine = lib.machine();
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`,
);
const work = mkdtempSync(join(tmpdir(), 'epl-bench-'));
// Temporary databases go, whether the run ends well or not.
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
if (profileDir) mkdirSync(profileDir, { recursive: true });
/** Visitor cookies issued by a server of this run, used by the request streams. */
let visitorCookies = [];
const serverArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];

/** A GET through node:http (fetch may not set Host), resolving to the response headers. */
function get(url, headers) {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolvePromise(res));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Real visitor cookies: a gdpr server issues one to every request that carries a consent, as it
 * would to a visitor who opted in. Sent over "https" (X-Forwarded-Proto from a trusted proxy),
 * so they are `__Host-` cookies, as in production.
 */
async function issueVisitorCookies(n) {
  const dir = join(work, 'cookies');
  mkdirSync(dir);
  const server = await lib.startServer('gdpr', { dir });
  const cookies = [];
  const issue = async (i) => {
    const res = await get(`${server.url}/`, {
      host: HOST,
      cookie: `${CHOICE_COOKIE}=${CONSENT}`,
      'x-forwarded-proto': 'https',
      'x-forwarded-for': `81.2.${70 + Math.floor(i / 250)}.${1 + (i % 250)}`,
    });
    const lines = [res.headers['set-cookie'] ?? []].flat();
    const line = lines.find((l) => /^(__Host-)?pl_vid=s(%3A|:)/.test(l));
    if (!line) throw new Error(`no visitor cookie issued; Set-Cookie: ${lines.join(' | ')}`);
    cookies.push(line.slice(0, line.indexOf(';')));
  };
  try {
    for (let i = 0; i < n; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => issue(i + j)));
    }
  } finally {
    await server.close();
  }
  return cookies;
}

/**
 * Drive `amount` requests: each connection sends its own endless stream of visitor sessions
 * (bench/traffic.js), seeded by `seed` and its index, so that every variant of a round serves the
 * same visitors; their cookies follow what each variant's server sets.
 */
function load(url, seed, amount) {
  return drive({ url, connections: settings.connections, seed, visitorCookies, amount });
}

/** One variant, one round: a fresh server, warm-up, then the measured window. */
async function measure(variant, round) {
  const dir = join(work, `${variant}-${round}`);
  mkdirSync(dir);
  const server = await lib.startServer(variant, { dir, execArgv: serverArgs });
  try {
    // Warm-up and measurement see different visitors, as a server that has run for a while would.
    await load(server.url, 1000 + round * 100, settings.warmup);
    await server.start();
    // The load generator runs in this process: its own CPU tells a reader whether the machine
    // (two cores shared by client and server) or the server was the limit.
    const clientCpu = process.cpuUsage();
    const client = await load(server.url, 100_000 + round * 100, settings.requests);
    const clientUsed = process.cpuUsage(clientCpu);
    const m = await server.stop();
    if (client.errors > 0 || client.statusCodes['5xx'] > 0) {
      throw new Error(
        `${variant}: ${client.errors} errors, ${client.statusCodes['5xx']} 5xx\n${server.output()}`,
      );
    }
    const dropped = lib.droppedRecords(m.stats);
    return {
      round,
      requests: m.requests,
      cpuUsPerRequest: (m.userUs + m.systemUs) / m.requests,
      // The serving thread alone (Linux): what worker mode moves off it shows here.
      mainUsPerRequest: m.mainThreadUs === undefined ? undefined : m.mainThreadUs / m.requests,
      busiestOtherUsPerRequest:
        m.busiestOtherThreadUs === undefined ? undefined : m.busiestOtherThreadUs / m.requests,
      restThreadsUsPerRequest:
        m.restThreadsUs === undefined ? undefined : m.restThreadsUs / m.requests,
      userUsPerRequest: m.userUs / m.requests,
      systemUsPerRequest: m.systemUs / m.requests,
      // Requests over the server's own window, first to last request (the client's clock ticks).
      reqPerSec: m.requests / (m.activeMs / 1000),
      p99Ms: client.p99Ms,
      loadgenUsPerRequest: (clientUsed.user + clientUsed.system) / m.requests,
      peakRssBytes: m.peakRssBytes,
      statusCodes: client.statusCodes,
      written: m.stats?.stores.map((s) => s.written),
      dropped,
    };
  } finally {
    await server.close();
  }
}

const results = {
  date: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine,
  settings,
  variants: [],
  skipped: [],
  instructions: undefined,
  saturation: undefined,
  micro: undefined,
  startup: undefined,
  budgets: [],
};

/** The variants chosen by `--only` (bare always), or all of them. */
function onlyChosen(variants) {
  if (!args.only) return variants;
  const wanted = new Set(['bare', ...args.only.split(',').map((s) => s.trim())]);
  for (const name of wanted) {
    if (!VARIANTS.some((v) => v.name === name)) throw new Error(`unknown variant ${name}`);
  }
  return variants.filter((v) => wanted.has(v.name));
}
const saturationChosen = settings.saturation
  ? onlyChosen(VARIANTS.filter((v) => saturation.SATURATION_VARIANTS.includes(v.name)))
  : [];
if (settings.saturation && saturationChosen.length < 2) {
  console.log(
    `saturation section skipped: --only names none of ${saturation.SATURATION_VARIANTS.join(', ')}`,
  );
}
if (cpuSection || saturationChosen.length > 1) {
  visitorCookies = await issueVisitorCookies(quick ? 100 : 400);
}

/** The variants of the CPU section, which the instruction counts follow too. */
const runnable = [];
if (cpuSection || settings.instructions) {
  // A smoke run leaves out the variants that only repeat another's code with another preset.
  const chosen = args.only
    ? onlyChosen(VARIANTS)
    : quick
      ? VARIANTS.filter((v) => !v.full)
      : VARIANTS;
  for (const variant of chosen) {
    const why = variant.skip?.(process.env);
    if (why) {
      console.log(`skipped: ${variant.label} (${why})`);
      results.skipped.push({ name: variant.name, label: variant.label, reason: why });
    } else {
      runnable.push(variant);
    }
  }
}

if (cpuSection) {
  console.log(
    `HTTP benchmark: ${runnable.length} variants x ${settings.rounds} rounds, ` +
      `${settings.warmup} warm-up + ${settings.requests} measured requests each, ` +
      `${settings.connections} connections, each a stream of visitor sessions`,
  );
  const rounds = new Map(runnable.map((v) => [v.name, []]));
  for (let round = 0; round < settings.rounds; round++) {
    const order = lib.roundOrder(
      runnable.map((v) => v.name),
      round,
    );
    const line = [];
    for (const name of order) {
      const r = await measure(name, round);
      rounds.get(name).push(r);
      line.push(`${name} ${lib.fixed(r.cpuUsPerRequest)}`);
    }
    console.log(`  round ${round + 1}/${settings.rounds}: ${line.join(', ')} (CPU us/request)`);
  }

  const bare = rounds.get('bare');
  for (const variant of runnable) {
    const list = rounds.get(variant.name);
    // Paired: each round's figure over bare Express's figure in the same round.
    const ratios = list.map((r) => r.cpuUsPerRequest / bare[r.round].cpuUsPerRequest);
    results.variants.push({
      name: variant.name,
      label: variant.label,
      cpuUsPerRequest: lib.median(list.map((r) => r.cpuUsPerRequest)),
      ratioToBare: lib.median(ratios),
      mainUsPerRequest: list.every((r) => r.mainUsPerRequest !== undefined)
        ? lib.median(list.map((r) => r.mainUsPerRequest))
        : undefined,
      mainRatioToBare: list.every((r) => r.mainUsPerRequest !== undefined)
        ? lib.median(list.map((r) => r.mainUsPerRequest / bare[r.round].mainUsPerRequest))
        : undefined,
      busiestOtherUsPerRequest: list.every((r) => r.busiestOtherUsPerRequest !== undefined)
        ? lib.median(list.map((r) => r.busiestOtherUsPerRequest))
        : undefined,
      restThreadsUsPerRequest: list.every((r) => r.restThreadsUsPerRequest !== undefined)
        ? lib.median(list.map((r) => r.restThreadsUsPerRequest))
        : undefined,
      reqPerSec: lib.median(list.map((r) => r.reqPerSec)),
      p99Ms: lib.median(list.map((r) => r.p99Ms)),
      loadgenUsPerRequest: lib.median(list.map((r) => r.loadgenUsPerRequest)),
      peakRssBytes: Math.max(...list.map((r) => r.peakRssBytes)),
      spread: lib.spread(list.map((r) => r.cpuUsPerRequest)),
      dropped: list.reduce((sum, r) => sum + r.dropped, 0),
      rounds: list,
    });
  }
  const header = [
    'variant',
    'CPU us/req',
    'x bare',
    'main us/req',
    'main x bare',
    '2nd thread us/req',
    'rest us/req',
    'spread',
    'req/s',
    'loadgen us/req',
    'p99 ms',
    'peak RSS MiB',
  ];
  const rows = results.variants.map((v) => [
    v.label,
    lib.fixed(v.cpuUsPerRequest),
    lib.fixed(v.ratioToBare, 2),
    v.mainUsPerRequest === undefined ? 'n/a' : lib.fixed(v.mainUsPerRequest),
    v.mainRatioToBare === undefined ? 'n/a' : lib.fixed(v.mainRatioToBare, 2),
    v.busiestOtherUsPerRequest === undefined ? 'n/a' : lib.fixed(v.busiestOtherUsPerRequest),
    v.restThreadsUsPerRequest === undefined ? 'n/a' : lib.fixed(v.restThreadsUsPerRequest),
    `${Math.round(v.spread * 100)}%`,
    Math.round(v.reqPerSec),
    lib.fixed(v.loadgenUsPerRequest),
    lib.fixed(v.p99Ms, 0),
    lib.mib(v.peakRssBytes),
  ]);
  console.log(
    "\nServer CPU time per request (user + system, all threads, measured by the server itself; 'main': the serving thread alone; '2nd thread': the busiest other thread, the worker in worker mode; 'rest': V8's compiler and GC helpers and libuv's pool), median of rounds",
  );
  console.log(lib.table(header, rows));
  results.markdown = lib.markdownTable(header, rows);
  for (const v of results.variants) {
    if (v.dropped > 0) console.log(`warning: ${v.label} dropped ${v.dropped} records (see stats)`);
  }
}

if (settings.instructions) {
  const missing = callgrind.callgrindMissing();
  if (missing && args['instructions-only']) throw new Error(`--instructions-only: ${missing}`);
  if (missing) {
    console.log(`\nInstructions per request (callgrind): skipped (${missing})`);
    results.instructions = { ...settings.instructions, skipped: missing, variants: [] };
  } else {
    results.instructions = { ...settings.instructions, variants: [] };
    await countInstructions(results.instructions);
  }
}

/** The section "Instructions per request (callgrind)", into `section.variants`. */
async function countInstructions(section) {
  const { warmup, requests, connections } = section;
  // A smoke run counts bare Express and one library variant, the production default where chosen,
  // both at once: Node's start under valgrind alone takes some 12 s, and the counts do not depend
  // on what else the machine runs.
  const library =
    runnable.find((v) => v.name === 'gdpr-worker') ?? runnable.find((v) => v.name !== 'bare');
  const list = quick ? runnable.filter((v) => v.name === 'bare' || v === library) : runnable;
  console.log(
    `\nInstructions per request (callgrind): ${list.length} variants, ${warmup} warm-up + ` +
      `${requests} counted requests each, ${connections} connections${quick ? ', all at once' : ''}`,
  );
  const one = async (variant) => {
    const r = await callgrind.measureInstructions(variant.name, section);
    console.log(
      `  ${variant.name}: ${lib.thousands(r.serving)} on the serving thread, ${lib.thousands(r.others)} on the others`,
    );
    return r;
  };
  const counted = [];
  if (quick) counted.push(...(await Promise.all(list.map(one))));
  else for (const variant of list) counted.push(await one(variant));
  const labels = new Map(list.map((v) => [v.name, v.label]));
  section.variants = callgrind.withRatios(counted).map(({ variant, ...figures }) => ({
    name: variant,
    label: labels.get(variant),
    ...figures,
  }));
  const header = ['variant', 'serving', 'serving x bare', 'others', 'whole', 'whole x bare'];
  const rows = section.variants.map((v) => [
    v.label,
    lib.thousands(v.serving),
    lib.fixed(v.servingRatioToBare, 2),
    lib.thousands(v.others),
    lib.thousands(v.whole),
    lib.fixed(v.wholeRatioToBare, 2),
  ]);
  console.log(
    "\nInstructions per counted request, by callgrind ('serving': the serving thread; 'others': the worker and V8's helper threads; 'whole': both)",
  );
  console.log(lib.table(header, rows));
  section.markdown = lib.markdownTable(header, rows);
}

if (saturationChosen.length > 1) {
  const sat = settings.saturation;
  const cores = machine.cores;
  console.log(
    `\nSaturation: ${saturationChosen.length} variants x ${sat.rounds} rounds, ` +
      `${sat.warmupRequests} warm-up requests + ${sat.seconds} s measured each, ${sat.connections} connections ` +
      'as fast as the server answers; the load generator is a child process',
  );
  const loadgen = await saturation.startLoadgen();
  const rounds = new Map(saturationChosen.map((v) => [v.name, []]));
  try {
    for (let round = 0; round < sat.rounds; round++) {
      const order = lib.roundOrder(
        saturationChosen.map((v) => v.name),
        round,
      );
      const line = [];
      for (const name of order) {
        const dir = join(work, `saturation-${name}-${round}`);
        mkdirSync(dir);
        const r = await saturation.measureSaturation({
          startServer: lib.startServer,
          loadgen,
          variant: name,
          round,
          dir,
          // No --profile here: a profiler would slow the servers it measures at full speed, and
          // its files would mix with those of the CPU section.
          seconds: sat.seconds,
          warmupRequests: sat.warmupRequests,
          connections: sat.connections,
          visitorCookies,
          cores,
        });
        rounds.get(name).push(r);
        line.push(`${name} ${Math.round(r.reqPerSec)}`);
      }
      console.log(`  round ${round + 1}/${sat.rounds}: ${line.join(', ')} (requests/s)`);
    }
  } finally {
    await loadgen.close();
  }
  const variants = saturation.summarise(rounds, {
    labels: Object.fromEntries(saturationChosen.map((v) => [v.name, v.label])),
    cores,
  });
  const rows = saturation.saturationRows(variants, cores);
  results.saturation = {
    ...sat,
    cores,
    variants,
    markdown: lib.markdownTable(saturation.SATURATION_HEADER, rows),
  };
  console.log(
    `\nSaturation, median of rounds (cores: CPU time over the window, of ${cores}; 'main': the serving thread; ` +
      "'machine': every process's, others' included; 'limit': what ran out)",
  );
  console.log(lib.table(saturation.SATURATION_HEADER, rows));
  for (const v of variants) {
    if (v.limit === 'load generator') {
      console.log(
        `note: ${v.label}: the load generator used a whole core: the client, not the server, was the limit`,
      );
    }
    if (v.limit === 'other work') {
      console.log(
        `note: ${v.label}: other processes kept the machine's cores busy: the figure is not the server's limit`,
      );
    }
    if (v.errors > 0) console.log(`warning: ${v.label}: ${v.errors} errors or timeouts`);
    if (v.dropped > 0) console.log(`warning: ${v.label} dropped ${v.dropped} records (see stats)`);
  }
}

if (!args['no-micro'] && !args['saturation-only'] && !args['instructions-only']) {
  const microOut = join(work, 'micro.json');
  const microArgs = ['--expose-gc', ...serverArgs, join(ROOT, 'bench/micro.js'), '--out', microOut];
  if (quick) microArgs.push('--quick');
  console.log('');
  const micro = spawnSync(process.execPath, microArgs, { stdio: 'inherit', env: process.env });
  if (micro.status !== 0) {
    console.error('the micro benchmarks failed');
    process.exitCode = 1;
  } else {
    results.micro = JSON.parse(readFileSync(microOut, 'utf8'));
  }
}

if (!args['no-startup'] && cpuSection) {
  // Fresh processes: import time and idle memory per preset, beside Express and morgan.
  const { measureStartup } = await import('./startup.js');
  results.startup = measureStartup({ runs: quick ? 3 : 7 });
}

if (args.outage) {
  console.log('');
  const outage = spawnSync(process.execPath, [join(ROOT, 'bench/outage.js'), '--no-build'], {
    stdio: 'inherit',
    env: process.env,
  });
  if (outage.status !== 0) {
    console.error('the outage benchmark failed');
    process.exitCode = 1;
  }
}

results.budgets = (await import('./budgets.js')).evaluate(results);
if (results.budgets.length > 0) {
  console.log('\nBudgets (see docs/performance.md)');
  for (const b of results.budgets) {
    console.log(
      `  ${b.met === undefined ? 'n/a ' : b.met ? 'met ' : 'MISS'}  ${b.budget}: ${b.measured}`,
    );
  }
}
if (quick) console.log('\n(--quick: a smoke run; its figures are too short to quote)');
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nresults written to ${outFile}`);
if (profileDir)
  console.log(`CPU profiles in ${profileDir} (summarise: node bench/profile.js ${profileDir})`);
