// The saturation section of `npm run bench`: each variant's server driven as fast as it answers
// (a closed loop over many connections) for a fixed time, the variants alternating over rounds.
// Requests per second mean little on their own on a two-core machine where the load generator
// runs too, so every figure comes with the CPU of the server (whole process and serving thread),
// of the load generator (a child process of its own, so its CPU is exactly its own) and of the
// whole machine (others' work included), in cores.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { droppedRecords, fixed, median, mib } from './lib.js';

/** The variants measured at saturation: the references, and the default pipeline in both modes. */
export const SATURATION_VARIANTS = ['bare', 'gdpr', 'gdpr-worker', 'morgan', 'pino-http'];

/**
 * A load generator that used this many cores or more was the limit: it is one Node process, so one
 * core is all it can use.
 */
export const LOADGEN_BOUND_CORES = 0.9;
/** The machine counts as full when this share of its cores was busy (everyone's work). */
export const MACHINE_BUSY_SHARE = 0.9;
/**
 * A full machine where other processes used this many cores or more was full of others' work: the
 * measurement is not the two-core contest of server and load generator it means to be.
 */
export const OTHER_WORK_CORES = 0.25;
/** A serving thread that used this many cores or more was the server's limit. */
export const THREAD_BOUND_CORES = 0.9;

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));

/** Busy and total CPU time of the whole machine so far, in ticks (Linux `/proc/stat`), or undefined. */
export function machineTicks() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    // cpu user nice system idle iowait irq softirq steal ...
    const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    return { busy: total - t[3] - t[4], total };
  } catch {
    return undefined;
  }
}

/** Cores busy between two `machineTicks()` readings, out of `cores`. */
export function busyCores(before, after, cores) {
  if (!before || !after || after.total === before.total) return undefined;
  return ((after.busy - before.busy) / (after.total - before.total)) * cores;
}

/** Start the load generator's process; `run(options)` drives a server once (see bench/loadgen.js). */
export async function startLoadgen() {
  const child = fork(LOADGEN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () =>
    new Promise((resolve, reject) => {
      const onMessage = (message) => {
        child.off('exit', onExit);
        if (message.error) reject(new Error(`load generator: ${message.error}`));
        else resolve(message);
      };
      const onExit = (code, signal) => {
        child.off('message', onMessage);
        reject(new Error(`load generator exited (${code ?? signal})`));
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
    });
  await next();
  return {
    /** @returns {Promise<{ total: number, p99Ms: number, errors: number, statusCodes: object, cpuUs: number, wallMs: number }>} */
    async run(options) {
      const answer = next();
      child.send({ run: options });
      return (await answer).result;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

/**
 * One variant, one round: a fresh server, a warm-up at full speed, then the measured window.
 *
 * @param {{ startServer: Function, loadgen: Awaited<ReturnType<typeof startLoadgen>>,
 *   variant: string, round: number, dir: string, serverArgs?: string[], seconds: number,
 *   warmupRequests: number, connections: number, visitorCookies: readonly string[],
 *   cores: number }} options
 */
export async function measureSaturation(options) {
  const { startServer, loadgen, variant, round, dir, seconds, warmupRequests, connections } =
    options;
  const server = await startServer(variant, { dir, execArgv: options.serverArgs ?? [] });
  const drive = (seed, length) =>
    loadgen.run({
      url: server.url,
      connections,
      seed,
      visitorCookies: options.visitorCookies,
      ...length,
    });
  try {
    // A count, not a time: a cold server (JIT, lazy loading, the first of each visitor) is slow,
    // and on a busy machine a warm-up of a few seconds may not get past that.
    await drive(1000 + round * 100, { amount: warmupRequests });
    await server.start();
    const before = machineTicks();
    const client = await drive(100_000 + round * 100, { seconds });
    const after = machineTicks();
    const m = await server.stop();
    // The server's window runs from `start` to the end of `stop`, which waits until the log has
    // written every record of the window: the cores it used include that drain.
    const windowUs = m.elapsedMs * 1000;
    const dropped = droppedRecords(m.stats);
    return {
      round,
      requests: m.requests,
      // Requests over the server's own window, first to last request.
      reqPerSec: m.requests / (m.activeMs / 1000),
      p99Ms: client.p99Ms,
      serverCores: (m.userUs + m.systemUs) / windowUs,
      mainCores: m.mainThreadUs === undefined ? undefined : m.mainThreadUs / windowUs,
      loadgenCores: client.cpuUs / (client.wallMs * 1000),
      machineCores: busyCores(before, after, options.cores),
      drainMs: m.elapsedMs - m.activeMs,
      peakRssBytes: m.peakRssBytes,
      errors: client.errors,
      statusCodes: client.statusCodes,
      // Since the server started (the warm-up's records too), per store.
      written: m.stats?.stores.map((s) => s.written),
      dropped,
    };
  } finally {
    await server.close();
  }
}

/**
 * What limited a measurement, from its CPU figures: the load generator (about a whole core: it is
 * one process); the machine, nearly every core busy, either with other processes' work (`other
 * work`: a quarter of a core or more beyond server and load generator) or with the two alone
 * (`machine`); the serving thread (about a whole core); or none of these (`undefined`).
 */
export function limitOf({ loadgenCores, machineCores, mainCores, serverCores }, cores) {
  if (loadgenCores >= LOADGEN_BOUND_CORES) return 'load generator';
  if (machineCores !== undefined && machineCores >= MACHINE_BUSY_SHARE * cores) {
    const others = machineCores - (serverCores ?? 0) - loadgenCores;
    return others >= OTHER_WORK_CORES ? 'other work' : 'machine';
  }
  if (mainCores !== undefined && mainCores >= THREAD_BOUND_CORES) return 'serving thread';
  return undefined;
}

/**
 * Medians over rounds per variant; `ratioToBare` is the median of each round's requests per second
 * over bare Express's in the same round.
 *
 * @param {Map<string, ReturnType<typeof measureSaturation> extends Promise<infer R> ? R[] : never>} rounds
 * @param {{ labels: Record<string, string>, cores: number }} context
 */
export function summarise(rounds, { labels, cores }) {
  const bare = rounds.get('bare') ?? [];
  const med = (list, key) =>
    list.every((r) => r[key] !== undefined) ? median(list.map((r) => r[key])) : undefined;
  return [...rounds].map(([name, list]) => {
    const figures = {
      reqPerSec: median(list.map((r) => r.reqPerSec)),
      ratioToBare: median(
        list
          .filter((r) => bare.some((b) => b.round === r.round))
          .map((r) => r.reqPerSec / bare.find((b) => b.round === r.round).reqPerSec),
      ),
      p99Ms: median(list.map((r) => r.p99Ms)),
      serverCores: median(list.map((r) => r.serverCores)),
      mainCores: med(list, 'mainCores'),
      loadgenCores: median(list.map((r) => r.loadgenCores)),
      machineCores: med(list, 'machineCores'),
    };
    return {
      name,
      label: labels[name] ?? name,
      ...figures,
      limit: limitOf(figures, cores),
      peakRssBytes: Math.max(...list.map((r) => r.peakRssBytes)),
      errors: list.reduce((sum, r) => sum + r.errors, 0),
      dropped: list.reduce((sum, r) => sum + r.dropped, 0),
      rounds: list,
    };
  });
}

export const SATURATION_HEADER = [
  'variant',
  'req/s',
  'x bare',
  'p99 ms',
  'server cores',
  'main cores',
  'loadgen cores',
  'machine cores',
  'peak RSS MiB',
  'limit',
];

/** The table's rows; cores read "1.45/2": used, of the machine's. */
export function saturationRows(variants, cores) {
  const of = (x) => (x === undefined ? 'n/a' : `${fixed(x, 2)}/${cores}`);
  return variants.map((v) => [
    v.label,
    Math.round(v.reqPerSec),
    fixed(v.ratioToBare, 2),
    fixed(v.p99Ms, 0),
    of(v.serverCores),
    of(v.mainCores),
    of(v.loadgenCores),
    of(v.machineCores),
    mib(v.peakRssBytes),
    v.limit ?? '-',
  ]);
}
