// `node bench/pinned.js [--free] variant...`: the serving thread's CPU time per request with that
// thread alone on CPU 1 and every other thread of the server (the worker, V8's helpers), and this
// process with its load generator, on CPU 0 (Linux, `taskset` from util-linux). It tells whether
// sharing the two cores is what makes a worker variant's serving thread cost more CPU time per
// instruction than bare Express's. `--free` measures the same without pinning. Bare Express is
// always measured first, as the reference; 3 rounds of 8,000 requests after 30,000 of warm-up,
// medians. Uses the build in dist/ (`npm run build`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median, startServer } from './lib.js';
import { drive } from './loadgen.js';

const { values, positionals } = parseArgs({
  options: { free: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const pin = !values.free;
const variants = ['bare', ...positionals.filter((v) => v !== 'bare')];
const taskset = (...args) => execFileSync('taskset', args, { stdio: 'ignore' });
taskset('-a', '-p', '-c', pin ? '0' : '0,1', String(process.pid));

const main = new Map(variants.map((v) => [v, []]));
const whole = new Map(variants.map((v) => [v, []]));
for (let round = 0; round < 3; round++) {
  for (const variant of variants) {
    const dir = mkdtempSync(join(tmpdir(), 'epl-pinned-'));
    const server = await startServer(variant, { dir });
    try {
      const load = (seed, amount) =>
        drive({ url: server.url, connections: 10, seed, visitorCookies: [], amount });
      await load(1000 + round, 30_000);
      if (pin) {
        for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
          taskset('-p', '-c', tid === String(server.pid) ? '1' : '0', tid);
        }
      }
      await server.start();
      await load(5000 + round, 8000);
      const m = await server.stop();
      main.get(variant).push(m.mainThreadUs / m.requests);
      whole.get(variant).push((m.userUs + m.systemUs) / m.requests);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const bare = median(main.get('bare'));
console.log(pin ? 'serving thread alone on CPU 1, the rest on CPU 0' : 'not pinned');
for (const variant of variants) {
  const m = median(main.get(variant));
  console.log(
    `${variant}: serving ${m.toFixed(1)} µs/request (${(m / bare).toFixed(2)}x bare), whole ${median(whole.get(variant)).toFixed(1)} µs/request`,
  );
}
