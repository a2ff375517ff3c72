// Garbage collection in each thread of a benchmark server over a measured window, from V8's
// `--trace-gc-nvp` lines: scavenges (young-generation collections), the pause they cost their
// thread and the time of V8's helper threads working for them, what was allocated between them,
// what survived and what was promoted to the old generation, and the full (mark-compact)
// collections. CPU figures say how much time goes; these say which thread's heap it goes to and
// why: a scavenge costs in proportion to what survives it, not to what was allocated.
//
//   node bench/gc.js VARIANT [--requests N] [--warmup N] [--no-build]
//
// Defaults: 60,000 requests of warm-up (as the CPU section of bench/run.js) and 20,000 measured,
// from 10 connections. The window is the trace lines that arrive between its start and its end;
// V8 writes them through a buffered pipe, so a line or two at each edge may belong outside it.
// Times are wall-clock milliseconds of a shared machine: compare variants in one run.
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '60000' },
    'no-build': { type: 'boolean', default: false },
  },
});
const variant = positionals[0];
if (!variant) {
  console.error('usage: node bench/gc.js VARIANT [--requests N] [--warmup N] [--no-build]');
  process.exit(2);
}
const requests = Number(args.requests);
if (!args['no-build']) buildDist();
// Imported only now: the load generator's traffic module imports dist/, which the build makes.
const { traceWindow } = await import('./trace-window.js');

/**
 * The collections in `text`, by isolate in order of first appearance (the serving thread's
 * isolate collects first: the worker starts after the app).
 */
function parseTrace(text) {
  const isolates = new Map();
  for (const line of text.split('\n')) {
    const match = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: (.*)$/.exec(line);
    if (!match?.[2].includes('gc=')) continue;
    const fields = {};
    for (const pair of match[2].split(' ')) {
      const at = pair.indexOf('=');
      if (at > 0) fields[pair.slice(0, at)] = pair.slice(at + 1);
    }
    const list = isolates.get(match[1]);
    if (list === undefined) isolates.set(match[1], [fields]);
    else list.push(fields);
  }
  return [...isolates.values()];
}

/** Totals of one isolate's collections. */
function summarise(collections) {
  const sum = (list, key) => list.reduce((total, c) => total + (Number(c[key]) || 0), 0);
  const scavenges = collections.filter((c) => c.gc === 's');
  const full = collections.filter((c) => c.gc !== 's');
  const allocated = sum(scavenges, 'allocated');
  return {
    scavenges: scavenges.length,
    scavengePauseMs: sum(scavenges, 'pause'),
    scavengeHelpersMs: sum(scavenges, 'background.scavenge.parallel'),
    allocatedMb: allocated / 2 ** 20,
    survivedPercent: allocated > 0 ? (100 * sum(scavenges, 'new_space_survived')) / allocated : 0,
    promotedMb: sum(scavenges, 'promoted') / 2 ** 20,
    full: full.length,
    fullPauseMs: sum(full, 'pause'),
  };
}

const window = await traceWindow(variant, {
  execArgv: ['--trace-gc-nvp'],
  warmup: Number(args.warmup),
  requests,
});

const isolates = parseTrace(window);
const rows = isolates.map((collections, i) => [
  i === 0 ? 'serving' : isolates.length === 2 ? 'worker' : `thread ${i + 1}`,
  summarise(collections),
]);
const perRequest = (ms) => ((ms * 1000) / requests).toFixed(1);
console.log(`${variant}: ${requests} requests after ${args.warmup} of warm-up`);
console.log(
  'thread    scavenges  pause µs/req  helpers µs/req  allocated KB/req  survived %  promoted KB/req  full GCs  their pause µs/req',
);
for (const [name, s] of rows) {
  console.log(
    [
      name.padEnd(9),
      String(s.scavenges).padStart(9),
      perRequest(s.scavengePauseMs).padStart(13),
      perRequest(s.scavengeHelpersMs).padStart(15),
      ((s.allocatedMb * 1024) / requests).toFixed(1).padStart(17),
      s.survivedPercent.toFixed(1).padStart(11),
      ((s.promotedMb * 1024) / requests).toFixed(2).padStart(16),
      String(s.full).padStart(9),
      perRequest(s.fullPauseMs).padStart(19),
    ].join(' '),
  );
}
