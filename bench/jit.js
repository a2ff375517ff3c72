// What V8's optimising compiler (TurboFan) still does over a measured window of a benchmark server,
// long after its warm-up: which functions it compiles again and how much compile time that took
// (V8's own figure, summed over its phases; the work runs on V8's helper threads, so it counts in
// the "rest" column of bench/run.js and in the "others" of bench/instructions.js). From
// `--trace-opt --trace-deopt --trace-file-names`, both isolates together in worker mode.
//
//   node bench/jit.js VARIANT [--requests N] [--warmup N] [--top N] [--no-build]
//
// Defaults: 60,000 requests of warm-up (as the CPU section of bench/run.js), 20,000 measured, from
// 10 connections, the top 25 functions by compile time. Times are a shared machine's milliseconds:
// compare variants in one sitting. A function's "sources" are told apart by the address of V8's
// shared function info, which a compaction of the old generation may move: rarely, one source is
// then counted twice.
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '60000' },
    top: { type: 'string', default: '25' },
    'no-build': { type: 'boolean', default: false },
  },
});
const variant = positionals[0];
if (!variant) {
  console.error(
    'usage: node bench/jit.js VARIANT [--requests N] [--warmup N] [--top N] [--no-build]',
  );
  process.exit(2);
}
const requests = Number(args.requests);
if (!args['no-build']) buildDist();
// Imported only now: the load generator's traffic module imports dist/, which the build makes.
const { traceWindow } = await import('./trace-window.js');

const COMPILED =
  /completed compiling 0x[0-9a-f]+ <JSFunction ([^<(]*)<([^>]*)> \(sfi = (0x[0-9a-f]+)\)> .*took ([\d.]+), ([\d.]+), ([\d.]+) ms/;
const BAILOUT = /^\[bailout \(kind: ([^,]+), reason: ([^)]*)\)/;

/** Compilations by function, and deoptimisations by reason, in the trace `text`. */
function parseTrace(text) {
  const functions = new Map();
  const bailouts = new Map();
  for (const line of text.split('\n')) {
    const compiled = COMPILED.exec(line);
    if (compiled) {
      const [, name, file, sfi, a, b, c] = compiled;
      const key = `${file.replace(/^file:\/\//, '')}: ${name.trim() || '(anonymous)'}`;
      const entry = functions.get(key) ?? { compiles: 0, ms: 0, sfis: new Set() };
      entry.compiles++;
      entry.ms += Number(a) + Number(b) + Number(c);
      entry.sfis.add(sfi);
      functions.set(key, entry);
      continue;
    }
    const bailout = BAILOUT.exec(line);
    if (bailout) {
      const key = `${bailout[1]}: ${bailout[2]}`;
      bailouts.set(key, (bailouts.get(key) ?? 0) + 1);
    }
  }
  return { functions, bailouts };
}

const window = await traceWindow(variant, {
  execArgv: ['--trace-opt', '--trace-deopt', '--trace-file-names'],
  warmup: Number(args.warmup),
  requests,
});

const { functions, bailouts } = parseTrace(window);
const all = [...functions.values()];
const compiles = all.reduce((n, f) => n + f.compiles, 0);
const ms = all.reduce((n, f) => n + f.ms, 0);
console.log(`${variant}: ${requests} requests after ${args.warmup} of warm-up`);
console.log(
  `${compiles} TurboFan compilations of ${functions.size} functions, ${ms.toFixed(1)} ms of compile time (${((ms * 1000) / requests).toFixed(1)} µs per request); ${[...bailouts.values()].reduce((n, v) => n + v, 0)} deoptimisations`,
);
console.log(
  '\n    ms  compiles  sources  function ("sources": distinct functions of that name and file, by V8\'s\n' +
    '                         shared function info; more compiles than sources: closures of one source, or a\n' +
    '                         compile after a deoptimisation)',
);
for (const [key, f] of [...functions]
  .sort((a, b) => b[1].ms - a[1].ms)
  .slice(0, Number(args.top))) {
  console.log(
    `${f.ms.toFixed(1).padStart(6)}  ${String(f.compiles).padStart(8)}  ${String(f.sfis.size).padStart(7)}  ${key}`,
  );
}
if (bailouts.size > 0) {
  console.log('\ndeoptimisations by reason');
  for (const [key, n] of [...bailouts].sort((a, b) => b[1] - a[1])) {
    console.log(`${String(n).padStart(6)}  ${key}`);
  }
}
