// The cost, on the serving thread, of handing finished requests to the logger's worker thread, on
// dist/ (run `npm run build` first): `node bench/worker-handover.js [--records N] [--rounds N]`.
//
// Variants, interleaved over rounds (the median is printed):
//   encode       the snapshot encoding alone (SnapshotWriter.push, batches taken and thrown away)
//   handover     what worker mode does: encode, and post each batch of 256 (numbers transferred)
//                to a worker that decodes it with decodeBatch
//   clone-each   the alternative avoided: one postMessage of the captured object per request
//   clone-batch  the captured objects themselves, 256 per postMessage (structured clone)
//
// The figure is the serving thread's own CPU time (utime + stime of the main thread from
// /proc/self/task/<pid>/stat, so the worker's decoding is not counted), per request. Linux only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const snapshotUrl = pathToFileURL(join(DIST, 'worker/snapshot.js')).href;
const { SnapshotWriter } = await import(snapshotUrl);

const { values: args } = parseArgs({
  options: { records: { type: 'string' }, rounds: { type: 'string' } },
});
const RECORDS = Number(args.records ?? 400_000);
const ROUNDS = Number(args.rounds ?? 5);
const BATCH = 256;

const TICK_US = 10_000; // USER_HZ is 100 on Linux
function mainThreadCpuUs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
];
const decision = Object.freeze({
  policy: 'gdpr@1',
  analytics: false,
  basis: 'none',
  gpc: false,
  dnt: false,
  objection: false,
  choice: undefined,
  categories: Object.freeze(['client', 'essential']),
  enrich: true,
});
/** A finished request as the middleware captures it in worker mode (the address unresolved). */
function captured(i) {
  return {
    startMs: Date.now(),
    startPerf: 0,
    method: 'GET',
    url: `/products/${i % 5000}?ref=home`,
    ip: undefined,
    remoteAddress: '127.0.0.1',
    forwardedFor: `203.0.${(i >> 8) & 255}.${i & 255}`,
    trust: 0,
    host: 'shop.example',
    userAgent: AGENTS[i % AGENTS.length],
    referer: undefined,
    decision,
    visitorId: undefined,
    optional: undefined,
    incidents: undefined,
    status: 200,
    durationMs: 1.234,
    bytes: 5120,
    aborted: false,
    route: '/products/:id',
    hints: undefined,
  };
}
const requests = Array.from({ length: 10_000 }, (_, i) => captured(i));

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.snapshotUrl).then(({ decodeBatch }) => {
  let count = 0;
  const tables = { decisions: [], resolve: () => '203.0.113.1' };
  parentPort.on('message', (m) => {
    if (m === 'done') return parentPort.postMessage(count);
    if (Array.isArray(m)) { count += m.length; return; }
    if (m.t !== 'batch') { count++; return; }
    if (m.decisions) m.decisions.list.forEach((d, i) => { tables.decisions[m.decisions.from + i] = d; });
    decodeBatch(m, tables, () => { count++; }, () => {});
  });
  parentPort.postMessage('ready');
});
`;

async function startWorker() {
  const worker = new Worker(WORKER, { eval: true, workerData: { snapshotUrl } });
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

const variants = {
  encode(_worker, n) {
    const writer = new SnapshotWriter(BATCH, []);
    for (let i = 0; i < n; i++) {
      writer.push(requests[i % requests.length]);
      if (writer.full) writer.take();
    }
    writer.take();
    return 0;
  },
  handover(worker, n) {
    const writer = new SnapshotWriter(BATCH, []);
    for (let i = 0; i < n; i++) {
      writer.push(requests[i % requests.length]);
      if (writer.full) {
        const batch = writer.take();
        worker.postMessage(batch, [batch.numbers.buffer]);
      }
    }
    const last = writer.take();
    if (last) worker.postMessage(last, [last.numbers.buffer]);
    return n;
  },
  'clone-each'(worker, n) {
    for (let i = 0; i < n; i++) worker.postMessage(requests[i % requests.length]);
    return n;
  },
  'clone-batch'(worker, n) {
    let batch = [];
    for (let i = 0; i < n; i++) {
      batch.push(requests[i % requests.length]);
      if (batch.length === BATCH) {
        worker.postMessage(batch);
        batch = [];
      }
    }
    if (batch.length > 0) worker.postMessage(batch);
    return n;
  },
};

/** Run a variant in slices, yielding between them as a server's event loop would. */
async function measure(name) {
  const worker = await startWorker();
  const slice = 1000;
  const before = mainThreadCpuUs();
  let expected = 0;
  for (let done = 0; done < RECORDS; done += slice) {
    expected += variants[name](worker, Math.min(slice, RECORDS - done));
    await tick();
  }
  const used = mainThreadCpuUs() - before;
  worker.postMessage('done');
  const received = await new Promise((resolve) => worker.on('message', resolve));
  await worker.terminate();
  if (received !== expected) throw new Error(`${name}: the worker got ${received} of ${expected}`);
  return used / RECORDS;
}

const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(variants)) results[name].push(await measure(name));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${RECORDS} requests per variant, ${ROUNDS} rounds; serving-thread CPU per request:`);
for (const [name, values] of Object.entries(results)) {
  console.log(`  ${name.padEnd(12)} ${median(values).toFixed(2)} us`);
}
