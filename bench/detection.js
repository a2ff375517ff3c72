// Security detection, on dist/: the worst case of every built-in detector on adversarial 16 KB
// inputs (each built to make a backtracking matcher or a naive repeated scan work hardest), and
// detection's cost per record on the realistic request mix. bench/micro.js runs it; alone:
// `node bench/detection.js [--quick]`.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fixed, median, table } from './lib.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const internal = (path) => import(pathToFileURL(join(DIST, path)).href);

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
  const { createDetection } = await internal('security/detectors.js');
  const { detectSchema } = await internal('policy/security-detect-schema.js');
  const { normalizeIp } = await internal('minimize/ip.js');
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
}
