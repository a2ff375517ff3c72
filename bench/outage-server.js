// One server of the outage benchmark, run as a child process by bench/outage.js:
// `node bench/outage-server.js '<scenario JSON>'`. A small Express app with this library (from
// dist/, by its package name) writing to the stores the scenario names: PostgreSQL and Redis
// through the parent's TCP proxies, or a SQLite file whose writes can hang. It samples its own
// counters every second (peaks of buffered and spilled records) and answers the parent over IPC:
// `stats`, `mark` (the measured part starts), `drain` (wait until nothing is buffered, within a
// deadline) and `close`.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { privacyLog } from 'express-privacy-log';

const config = JSON.parse(process.argv[2] ?? 'null');
if (!config || typeof process.send !== 'function') {
  console.error('usage: run by bench/outage.js (needs a scenario and an IPC channel)');
  process.exit(2);
}

/** The stores of the scenario, built from plain data so that worker mode opens them there. */
async function stores() {
  const list = [];
  if (config.pg) {
    const { PostgresStore } = await import('express-privacy-log/stores/postgres');
    list.push(
      new PostgresStore({
        poolConfig: {
          host: '127.0.0.1',
          port: config.pg.port,
          user: config.pg.user,
          database: config.pg.database,
          max: 2,
          // Short, so that a connection attempt into the outage fails fast and is retried.
          connectionTimeoutMillis: 1000,
          idleTimeoutMillis: 1000,
        },
        table: config.pg.table,
        connectTimeoutMs: 1000,
        statementTimeoutMs: 5000,
        ...(config.spillDir ? { spill: { dir: `${config.spillDir}/pg` } } : {}),
      }),
    );
  }
  if (config.redis) {
    const { RedisStreamStore } = await import('express-privacy-log/stores/redis');
    list.push(
      new RedisStreamStore({
        url: `redis://127.0.0.1:${config.redis.port}`,
        connectTimeoutMs: 1000,
        prefix: config.redis.prefix,
        maxPendingRecords: 100_000,
        ...(config.spillDir ? { spill: { dir: `${config.spillDir}/redis` } } : {}),
      }),
    );
  }
  if (config.sqlite) {
    list.push({
      module: new URL('./hanging-sqlite-store.js', import.meta.url).pathname,
      options: { path: config.sqlite.path, freezeFile: config.sqlite.freezeFile },
    });
  }
  return list;
}

const logger = privacyLog({
  secret: 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
  store: await stores(),
  worker: config.worker,
  warnings: false,
  // The benchmark is about delivery: no purge running into the measurement.
  retention: { enabled: false },
  ...(config.queue ? { queue: config.queue } : {}),
  // A store that comes back is tried again within a second (the default cap is 30 s), and a write
  // that hangs on a dead connection gives up after 2 s.
  writeTimeoutMs: 2000,
  retryMaxDelayMs: 1000,
});

const app = express();
app.set('trust proxy', 'loopback');
app.disable('x-powered-by');
app.disable('etag');
app.use(logger);
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Example shop</h1><p>${'Kettles, teapots and tea towels. '.repeat(20)}</p></body></html>`;
app.get('/', (_req, res) => {
  res.send(PAGE);
});
app.get('/products/:id', (req, res) => {
  res.send(PAGE.replace('Example shop', `Product ${Number(req.params.id)}`));
});

const server = createServer(app);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1');
await once(server, 'listening');

// Peaks of what waited in memory and in the spill, per store, sampled every second.
const peaks = logger.stats().stores.map(() => ({ buffered: 0, spilled: 0 }));
const sampler = setInterval(() => {
  logger.stats().stores.forEach((s, i) => {
    peaks[i].buffered = Math.max(peaks[i].buffered, s.buffered);
    peaks[i].spilled = Math.max(peaks[i].spilled, s.spilled ?? 0);
  });
}, 1000);

// How long the serving thread's event loop was held up: what a hang on this thread shows as,
// apart from the client's and the machine's own delays (the histogram is in nanoseconds).
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const stats = () => ({
  stores: logger.stats().stores.map((s, i) => ({ ...s, peak: peaks[i] })),
  cpuUs: process.cpuUsage(),
  loopDelay: { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 },
});

const handlers = {
  /** The workers start and the stores connect before the load: the benchmark is about faults. */
  async ready() {
    await logger.flush();
    return stats();
  },
  stats: async () => stats(),
  /** The measured part starts: event-loop delays from here on. */
  async mark() {
    loopDelay.reset();
    return {};
  },
  /** Wait until every store has written or dropped everything, or `timeoutMs` has passed. */
  async drain({ timeoutMs }) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && logger.stats().stores.some((s) => s.buffered > 0)) {
      await sleep(200);
    }
    return stats();
  },
  async close() {
    clearInterval(sampler);
    server.closeAllConnections();
    server.close();
    await logger.close({ timeoutMs: 5000 });
    return {};
  },
};

process.on('message', (message) => {
  const handler = handlers[message?.cmd];
  if (!handler) return;
  handler(message).then(
    (result) => process.send({ reply: message.cmd, ...result }),
    (err) => process.send({ reply: message.cmd, error: String(err?.stack ?? err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ reply: 'listening', port: server.address().port });
