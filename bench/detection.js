// Security detection, on dist/: the worst case of every built-in detector on adversarial 16 KB
// inputs (each built to make a backtracking matcher or a naive repeated scan work hardest), and
// detection's cost per record on the realistic request mix. bench/micro.js runs it; alone:
// `node bench/detection.js [--quick]`.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fixed, median, table } from './lib.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
// The build bundles the library; dist/internal/ (not shipped) re-exports the internal modules
// benchmarks measure, from the same chunks as the package (scripts/build.mjs).
const internal = () => import(pathToFileURL(join(DIST, 'internal/index.js')).href);

const fill = (unit, size) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

/**
 * Inputs chosen to be each detector's worst case (near-misses of every marker, all the way),
 * `size` characters long.
 */
export const ADVERSARIAL = {
  traversal: (n) => `/${fill('..a', n)}`,
  'traversal (encoded)': (n) => `/${fill('%252e%252e', n)}`,
  'sql-injection': (n) => `/?q=${fill("union selec' or ", n)}`,
  'sql-injection (comments)': (n) => `/?q=${fill('/*/*', n)}`,
  'script-injection': (n) => `/?q=${fill('<scrip', n)}`,
  'sensitive-path': (n) => `/${fill('/.en', n)}`,
  'attack-tool (User-Agent)': (n) => fill('sqlma', n),
  'overlong UTF-8': (n) => `/${fill('%c0%c0%e0%80', n)}`,
  'malformed escapes': (n) => `/${fill('%%u00', n)}`,
};

/** Time `fn` over `n` calls; returns microseconds per call. */
function perCall(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

export async function benchDetection({ quick, targets }) {
  const { createDetection, detectSchema, normalizeIp } = await internal();
  const detection = createDetection(detectSchema().parse({}), undefined, () => {});
  const ip = normalizeIp('198.51.100.7');
  const base = { method: 'GET', target: '/', userAgent: 'Mozilla/5.0', status: 200, timeMs: 0 };
  const reps = quick ? 50 : 500;
  const worst = {};
  const growth = {};
  for (const [name, make] of Object.entries(ADVERSARIAL)) {
    const time = (size) => {
      const input = make(size);
      const request = name.includes('User-Agent')
        ? { ...base, userAgent: input }
        : { ...base, target: input };
      const rounds = [];
      for (let r = 0; r < 5; r++) rounds.push(perCall(() => detection.detect(request, ip), reps));
      return median(rounds);
    };
    const small = time(4 * 1024);
    worst[name] = time(16 * 1024);
    // Linear time: four times the input costs about four times as much (a quadratic scan, 16).
    growth[name] = worst[name] / small;
  }
  // The realistic mix: the targets and User-Agents of ordinary requests, plus bursts of 404s.
  const mix = targets.map((t, i) => ({
    ...base,
    target: t.target,
    userAgent: t.userAgent,
    status: i % 20 === 0 ? 404 : 200,
  }));
  const n = mix.length;
  const rounds = [];
  for (let r = 0; r < (quick ? 3 : 10); r++)
    rounds.push(perCall((i) => detection.detect(mix[i % n], ip), n));
  const result = { usPerRecord: median(rounds), worstUsPer16KB: worst, growth4to16KB: growth };
  console.log(
    `Security detection: ${fixed(result.usPerRecord, 2)} us per record on the mix (${n} requests); ` +
      'worst case of each detector on a 16 KB adversarial input:',
  );
  console.log(
    table(
      ['input', 'us per 16 KB request', 'x cost of 4 KB'],
      Object.entries(worst).map(([k, v]) => [k, fixed(v, 1), fixed(growth[k], 1)]),
    ),
  );
  return result;
}

/**
 * The request path of ordinary requests (the middleware on entry and at the response's close,
 * without the background stage, whose queue is replaced by a no-op) under the seed policy, with
 * and without its security category: what detection and evidence cost every visitor who did
 * nothing wrong. `specs` are requests of the mix (bench/traffic.js); microseconds per request.
 * Also an A/A pair (the same policy twice), whose difference is the measurement's own noise.
 */
export async function benchRequestPath({ quick, specs }) {
  const { privacyLog, presets, definePolicy, MemoryStore } = await import('express-privacy-log');
  const { Dispatcher } = await internal();
  const { simulate } = await import('./simulate.js');
  const { localReverse } = await import('./app.js');
  const { security: _, ...categories } = presets.classic.categories;
  const plain = definePolicy({ ...presets.classic, name: 'plain', categories });
  const policies = [
    ['with security', presets.classic],
    ['without security', plain],
    ['with security (A/A)', presets.classic],
  ];
  const original = Dispatcher.prototype.push;
  Dispatcher.prototype.push = () => {};
  const loggers = policies.map(([name, policy]) => [
    name,
    privacyLog({
      policy,
      secret: 'bench-secret-0123456789-abcdefghijklmnop',
      store: new MemoryStore(),
      warnings: false,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      // The seed looks up names; the benchmark's resolver answers locally, as micro.js's does.
      enrich: { reverse: localReverse },
    }),
  ]);
  const rounds = Object.fromEntries(policies.map(([name]) => [name, []]));
  try {
    // Rounds in a rotating order, so that neither a busy moment of the machine nor going first
    // falls on one policy more than on another.
    const total = quick ? 6 : 21;
    for (let r = 0; r < total; r++)
      for (let k = 0; k < loggers.length; k++) {
        const [name, logger] = loggers[(r + k) % loggers.length];
        rounds[name].push(perCall((i) => simulate(logger, specs[i % specs.length]), specs.length));
      }
  } finally {
    Dispatcher.prototype.push = original;
    for (const [, logger] of loggers) await logger.close();
  }
  const us = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, median(v)]));
  const result = {
    usPerRequest: us,
    extraUsPerRequest: us['with security'] - us['without security'],
    noiseUs: us['with security (A/A)'] - us['with security'],
  };
  console.log(
    `Request path of ordinary requests (classic): ${fixed(us['with security'], 2)} us with the security ` +
      `category, ${fixed(us['without security'], 2)} us without: ${fixed(result.extraUsPerRequest, 2)} us ` +
      `difference; the same policy measured twice differs by ${fixed(result.noiseUs, 2)} us (noise)`,
  );
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const targets = [
    {
      target: '/products/42?color=blue',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    },
    { target: '/', userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)' },
    { target: '/search?q=shoes+red', userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/126.0' },
  ];
  await benchDetection({ quick: values.quick, targets });
  const { makeRequests } = await import('./traffic.js');
  await benchRequestPath({
    quick: values.quick,
    specs: makeRequests({ count: values.quick ? 5000 : 20_000, visitorCookies: [] }),
  });
}
