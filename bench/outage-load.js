// The load of the outage benchmark, run as a child process by bench/outage.js:
// `node bench/outage-load.js '<JSON: url, rate, warmupSeconds, seconds, out>'`.
//
// An open-loop client: request i is sent at start + i / rate whether or not earlier ones were
// answered, so a server that stalls for 10 s meets 10 s worth of requests, each of which waits,
// as a site's visitors would. (A closed-loop generator such as autocannon, even with a rate, sends
// a connection's next request only after its last answer: a stall then delays a handful of
// requests, and the percentiles hide it.) Latency runs from the call that sends a request (queueing
// in the client's connection pool included) to the end of its response.
//
// Writes the samples of the measured part to `out` as a Float64Array of triples: when the request
// was sent (ms since the Unix epoch), its latency in ms (NaN for a failure), and how late the
// client sent it (its own lag, ms). Sends `{ measuring: epochMs }` over IPC when the measured part
// starts and `{ done: summary }` at the end.
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const config = JSON.parse(process.argv[2] ?? 'null');
if (!config || typeof process.send !== 'function') {
  console.error('usage: run by bench/outage.js (needs a JSON config and an IPC channel)');
  process.exit(2);
}
const { url, rate, warmupSeconds, seconds, out } = config;
const target = new URL(url);
// Enough sockets for a stall: beyond them, requests wait in the pool, and that wait is counted.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
];

const warmup = Math.round(warmupSeconds * rate);
const total = warmup + Math.round(seconds * rate);
const samples = new Float64Array((total - warmup) * 3);
let sent = 0;
let finished = 0;
let failed = 0;
const errors = {};
let measuringAt = 0;

function fire(i, lagMs) {
  const sentAt = performance.now();
  const epoch = performance.timeOrigin + sentAt;
  const measured = i >= warmup;
  const record = (ok) => {
    finished++;
    if (measured) {
      const k = (i - warmup) * 3;
      samples[k] = epoch;
      samples[k + 1] = ok ? performance.now() - sentAt : Number.NaN;
      samples[k + 2] = lagMs;
    }
    if (!ok) failed++;
    if (finished === total) done();
  };
  const req = request(
    {
      host: target.hostname,
      port: target.port,
      path: i % 4 === 0 ? '/' : `/products/${1 + (i % 60)}`,
      agent,
      headers: {
        host: 'shop.example',
        'user-agent': BROWSERS[i % BROWSERS.length],
        'x-forwarded-for': `81.2.${70 + ((i >> 8) % 40)}.${1 + (i % 250)}`,
        'x-forwarded-proto': 'https',
        'accept-language': 'en-GB,en;q=0.9',
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => record(res.statusCode < 500));
      res.on('error', (err) => {
        errors[err.code ?? err.message] = (errors[err.code ?? err.message] ?? 0) + 1;
        record(false);
      });
    },
  );
  req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
  req.on('error', (err) => {
    errors[err.code ?? err.message] = (errors[err.code ?? err.message] ?? 0) + 1;
    record(false);
  });
  req.end();
}

const start = performance.now();
const cpuAtStart = process.cpuUsage();
function tick() {
  const now = performance.now();
  const due = Math.min(total, 1 + Math.floor(((now - start) * rate) / 1000));
  while (sent < due) {
    if (sent === warmup) {
      measuringAt = performance.timeOrigin + performance.now();
      process.send({ measuring: measuringAt });
    }
    fire(sent, now - (start + (sent * 1000) / rate));
    sent++;
  }
  if (sent < total) setTimeout(tick, 1);
}
tick();

function done() {
  writeFileSync(out, Buffer.from(samples.buffer));
  const cpu = process.cpuUsage(cpuAtStart);
  process.send({
    done: {
      sent: total,
      measured: total - warmup,
      failed,
      errors,
      measuringAt,
      clientCpuUsPerRequest: (cpu.user + cpu.system) / total,
    },
  });
  agent.destroy();
  process.disconnect();
}
