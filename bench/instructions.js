// Instructions per request on the serving thread, and on the other threads, counted by valgrind's
// callgrind (bench/callgrind.js says how): a figure that does not move with the load of a shared
// machine, beside the noisy CPU times of bench/run.js, which reports the same figures in its
// "Instructions per request" section. This runs that measurement alone, with its own defaults.
//
//   node bench/instructions.js [--only a,b] [--requests N] [--warmup N] [--connections N]
//                              [--no-build] [--keep DIR] [--split]
//
// --connections N sends from N kept-alive connections at once (default 1), each a visitor stream
// of its own: the worker variants' hand-over batches then hold several requests, nearer the
// regime of a busy site.
//
// --keep DIR copies each variant's callgrind files there (DIR/VARIANT/), for callgrind_annotate:
// the worker is the thread with the most instructions after the serving thread.
//
// --split says what the other threads did, per request: the worker's JavaScript (a thread that ran
// V8's builtins), and V8's helper threads by kind of work (compiling with TurboFan, marking,
// scavenging, sweeping, the rest), from the function names callgrind_annotate gives.
//
// A variant that looks up reverse DNS also says what its lookups did in the window: how many were
// made and answered from the cache, how many records went without one because every slot was
// taken, and how many had their answer miss the deadline (at callgrind's pace, relayed through a
// serving thread some fifty times slower, far more than at full speed).
//
// A full garbage collection of either heap costs millions of instructions, most on the helper
// threads, and the serving thread's heap has one every few thousand requests (bare Express's too):
// whether one falls into a window of 2,000 requests moves "others" by tens of thousands per
// request. `--requests 20000` averages over several (about five minutes per variant).
//
// Needs valgrind (callgrind_control comes with it). Defaults: 60,000 warm-up and 2,000 measured
// requests, about a minute per variant.
import { parseArgs } from 'node:util';
import { buildDist } from './build.js';
import { callgrindMissing, measureInstructions, withRatios } from './callgrind.js';

const DEFAULT_VARIANTS =
  'bare,floor,floor-ip,morgan,pino-http,strict-worker,gdpr-worker,cookieless-worker,ccpa-worker,classic-worker';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '60000' },
    connections: { type: 'string', default: '1' },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'string' },
    split: { type: 'boolean', default: false },
  },
});
const variants = (args.only ?? DEFAULT_VARIANTS).split(',').filter(Boolean);
if (!variants.includes('bare')) variants.unshift('bare');
const options = {
  requests: Number(args.requests),
  warmup: Number(args.warmup),
  connections: Number(args.connections),
  keep: args.keep,
  split: args.split,
};
if (!Number.isInteger(options.connections) || options.connections < 1) {
  console.error('--connections must be a positive integer');
  process.exit(2);
}

const missing = callgrindMissing();
if (missing) {
  console.error(`${missing}: this benchmark counts instructions with callgrind`);
  process.exit(1);
}
if (!args['no-build']) buildDist();

const measured = [];
for (const variant of variants) {
  process.stdout.write(`${variant} ... `);
  const r = await measureInstructions(variant, options);
  measured.push(r);
  console.log(`${Math.round(r.serving / 1000)}k on the serving thread`);
}
const { connections } = options;
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
for (const r of withRatios(measured)) {
  console.log(
    r.variant.padEnd(20),
    String(Math.round(r.serving / 1000)).padStart(9),
    r.servingRatioToBare.toFixed(2).padStart(7),
    String(Math.round(r.others / 1000)).padStart(9),
    r.wholeRatioToBare.toFixed(2).padStart(13),
  );
}

if (options.split) {
  const kinds = ['javascript', 'compiling', 'marking', 'scavenging', 'sweeping', 'other'];
  console.log(
    "\nThe other threads, thousands of instructions per request: the worker's JavaScript, then",
  );
  console.log("V8's helper threads by kind of work:");
  console.log('variant'.padEnd(20), ...kinds.map((k) => k.padStart(11)));
  for (const r of measured) {
    console.log(
      r.variant.padEnd(20),
      ...kinds.map((k) => String(Math.round((r.split?.[k] ?? 0) / 1000)).padStart(11)),
    );
  }
}
for (const r of measured) {
  if (r.lookups === undefined) continue;
  const { lookups, cacheHits, timeouts, busy } = r.lookups;
  console.log(
    `${r.variant}: ${lookups} reverse-DNS lookups in the window, ${cacheHits} answers from the cache, ${busy} records without a lookup (every slot taken), ${timeouts} without their answer at the deadline`,
  );
}
