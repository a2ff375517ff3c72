// Micro benchmarks of the parts behind the request path, on dist/: the background stage (records
// per CPU second, the realistic mix), each store's write rate (rows per second, batched), the
// time to construct a middleware, the User-Agent cache, GeoIP lookups, the worst case of path
// redaction (hostile 16 KB paths against an ordinary one), and the memory check (1M requests into
// a logger whose store never answers).
// `node --expose-gc bench/micro.js [--quick] [--out FILE]`; bench/run.js runs it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { MemoryStore, NdjsonStore, presets, privacyLog, SqliteStore } from 'express-privacy-log';
import { dropPostgresTables, localReverse } from './app.js';
import { benchDetection, benchRequestPath } from './detection.js';
import { distinctAddresses, distinctAgents, withDistinctClients } from './distinct-agents.js';
import { fixed, median, mib, table, thousands } from './lib.js';
import { simulate } from './simulate.js';
import {
  CHOICE_COOKIE,
  CONSENT,
  clientAddress,
  makeRequests,
  random,
  requestStream,
  SECRET,
} from './traffic.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
// The build bundles the library; dist/internal/ (not shipped) re-exports the internal modules
// benchmarks measure, from the same chunks as the package (scripts/build.mjs).
const {
  Dispatcher,
  UserAgentParser,
  USER_AGENT_CACHE_SIZE,
  captureHints,
  loadGeo,
  uuidv7,
  normalizeIp,
  truncateIp,
  minimizePath,
} = await import(pathToFileURL(join(DIST, 'internal/index.js')).href);

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const quick = args.quick;
const size = {
  pool: quick ? 5000 : 20_000,
  passes: quick ? 3 : 10,
  uaStream: quick ? 50_000 : 500_000,
  geoLookups: quick ? 50_000 : 300_000,
  storeRows: quick ? 20_000 : 200_000,
  memoryRequests: quick ? 200_000 : 1_000_000,
  redactionRounds: quick ? 5 : 25,
};
const silent = { warn() {}, error() {}, info() {} };
const work = mkdtempSync(join(tmpdir(), 'epl-micro-'));
const results = { quick, size };

/** CPU microseconds (user + system) spent in `fn`, and its wall time in ms. */
async function timed(fn) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn();
  const used = process.cpuUsage(cpu);
  return {
    cpuUs: used.user + used.system,
    wallMs: Number(process.hrtime.bigint() - start) / 1e6,
  };
}

// --- The mix, with real visitor cookies ----------------------------------------------------------

/** Visitor cookies issued by the middleware itself to requests that carry a consent. */
function issueVisitorCookies(n) {
  const logger = privacyLog({ secret: SECRET, store: new MemoryStore(), warnings: false });
  const cookies = [];
  for (let i = 0; i < n; i++) {
    let issued;
    const spy = (req, res, next) => {
      logger(req, res, next);
      // The cookie goes out with the headers.
      res.once('finish', () => {
        issued = res.getHeader('set-cookie');
      });
    };
    simulate(spy, {
      method: 'GET',
      path: '/',
      headers: {
        host: 'shop.example',
        cookie: `${CHOICE_COOKIE}=${CONSENT}`,
        'x-forwarded-for': `81.2.${70 + Math.floor(i / 250)}.${1 + (i % 250)}`,
        'x-forwarded-proto': 'https',
      },
    });
    const line = [issued ?? []].flat().find((l) => l.includes('pl_vid='));
    if (!line) throw new Error('the middleware issued no visitor cookie to a consenting request');
    cookies.push(line.slice(0, line.indexOf(';')));
  }
  void logger.close();
  return cookies;
}

const visitorCookies = issueVisitorCookies(400);
const pool = makeRequests({ count: size.pool, visitorCookies, seed: 60 });

/**
 * What the middleware of `options` hands to its background stage for every request of `specs`, and
 * the function that stage runs on each: taken from the middleware's own dispatcher, so the items
 * and the processor are exactly those of a real server.
 */
async function capture(options, specs) {
  const items = [];
  let processItem;
  const original = Dispatcher.prototype.push;
  Dispatcher.prototype.push = function (item) {
    processItem ??= this.processItem;
    items.push(item);
  };
  let logger;
  try {
    logger = privacyLog({ warnings: false, logger: silent, store: new MemoryStore(), ...options });
    for (const spec of specs) simulate(logger, spec);
    // Reverse DNS and the company are looked up before an item reaches the dispatcher.
    await logger.flush();
  } finally {
    Dispatcher.prototype.push = original;
  }
  if (typeof processItem !== 'function') {
    throw new Error("could not find the dispatcher's processor (has Dispatcher changed?)");
  }
  return { items, process: processItem, logger };
}

// --- GeoIP -----------------------------------------------------------------------------------------

{
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  const geo = await loadGeo();
  const loadMs = Number(process.hrtime.bigint() - start) / 1e6;
  globalThis.gc?.();
  const rssAdded = process.memoryUsage().rss - before;
  const r = random(7);
  const addresses = [];
  for (let i = 0; i < 10_000; i++) {
    addresses.push(truncateIp(normalizeIp(clientAddress(r)), 24, 48));
  }
  let found = 0;
  const t = await timed(() => {
    for (let i = 0; i < size.geoLookups; i++) {
      if (geo.lookup(addresses[i % addresses.length], 'region')) found++;
    }
  });
  results.geo = {
    loadMs,
    rssAddedBytes: rssAdded,
    lookupsPerSecond: size.geoLookups / (t.cpuUs / 1e6),
    usPerLookup: t.cpuUs / size.geoLookups,
    foundShare: found / size.geoLookups,
  };
  console.log(
    `GeoIP: loaded in ${fixed(loadMs, 0)} ms (+${mib(rssAdded)} MiB RSS); ` +
      `${thousands(results.geo.lookupsPerSecond)} lookups/s (${fixed(results.geo.usPerLookup, 2)} us), ` +
      `${Math.round(results.geo.foundShare * 100)}% of the mix's /24 and /48 networks located`,
  );
}

// --- Construction: what a test suite that builds an app per test pays each time ------------------

{
  const build = () => privacyLog({ secret: SECRET, store: new MemoryStore(), logger: silent });
  for (let i = 0; i < 20; i++) await build().close();
  const rounds = [];
  const count = quick ? 50 : 200;
  for (let round = 0; round < 5; round++) {
    // As a test suite does: build, use, close, build the next; only the building is measured, in
    // CPU time so that a busy machine does not count other processes' time.
    let us = 0;
    for (let i = 0; i < count; i++) {
      const cpu = process.cpuUsage();
      const log = build();
      const used = process.cpuUsage(cpu);
      us += used.user + used.system;
      await log.close();
    }
    rounds.push(us / count / 1000);
  }
  results.construction = { cpuMsPerPrivacyLog: median(rounds), rounds };
  console.log(
    `privacyLog() construction, default policy and MemoryStore: ${fixed(median(rounds), 3)} ms of CPU each (median of 5 rounds of ${count})`,
  );
}

// --- User-Agent cache --------------------------------------------------------------------------

{
  const requests = requestStream({ seed: 8, visitorCookies: [] });
  const stream = Array.from(
    { length: size.uaStream },
    () => requests.next().value.headers['user-agent'],
  );
  const distinct = new Set(stream).size;
  const parser = new UserAgentParser();
  const t = await timed(() => {
    for (const ua of stream) parser.parse(ua);
  });
  const stats = parser.stats();
  // The cost of a miss: every string parsed anew (no cache), on a sample.
  const uncached = new UserAgentParser({ cacheSize: 0 });
  const sample = stream.slice(0, Math.min(20_000, stream.length));
  const miss = await timed(() => {
    for (const ua of sample) uncached.parse(ua);
  });
  results.userAgents = {
    requests: stream.length,
    distinct,
    cacheSize: USER_AGENT_CACHE_SIZE,
    hitRate: stats.hits / (stats.hits + stats.misses),
    usPerRequest: t.cpuUs / stream.length,
    usPerMiss: miss.cpuUs / sample.length,
  };
  console.log(
    `User-Agent cache: ${(results.userAgents.hitRate * 100).toFixed(2)}% hits over ${stream.length} requests ` +
      `(${distinct} distinct strings, cache of ${USER_AGENT_CACHE_SIZE}); ${fixed(results.userAgents.usPerRequest, 2)} us ` +
      `per request with the cache, ${fixed(results.userAgents.usPerMiss, 1)} us per parse without`,
  );
}

// --- Path redaction: hostile 16 KB paths against an ordinary one ---------------------------------

{
  const LENGTH = 16 * 1024;
  // Paths of the benchmark site (bench/traffic.js), one after another: what ordinary looks like.
  const site = ['products', '42', 'old-page-7.html', 'about', 'api', 'search', 'products', '17'];
  let ordinary = '';
  for (let i = 0; ordinary.length < LENGTH; i++) ordinary += `/${site[i % site.length]}`;
  const fill = (unit, size = LENGTH) =>
    `/${unit.repeat(Math.ceil(size / unit.length))}`.slice(0, size);
  // Long segments of one content, each just short enough to be looked at whole.
  const long = (unit) => fill(`${unit.repeat(Math.floor(1000 / unit.length))}/`);
  // Each aims at one pass; the first is what took 74 ms before redaction was linear.
  const hostile = {
    'eyJ repeated (JWT starts)': fill('eyJ'),
    'JWT starts in segments': long('eyJa.b'),
    'e-mail addresses': fill('jane.doe@example.com/'),
    'e-mail-like, unknown domains': long('a@b.xq '),
    'IPv6 addresses': long('1::1 '),
    'IPv4 addresses': long('1.2.3.4 '),
    UUIDs: long('3f2504e0-4f89-11d3-9a0c-030512345678 '),
    'hex runs one short': long('0123456789abcdef0123456789abcde-'),
    'tiny id segments': fill('7/'),
    'tiny segments': fill('a7/'),
    'path parameters': fill(';a=1'),
    'encoded segments': fill('%41/'),
    'everything at once': long('a1@b.c-1.2.3.4:5::6-eyJ.'),
  };
  const none = new Set();
  const modes = { 'no route matched': 'ids', 'route matched': 'personal' };
  const variants = [['ordinary', ordinary], ...Object.entries(hostile)];
  results.redaction = { pathLength: LENGTH, maxLength: 2048, modes: {} };
  const rows = [];
  for (const [label, mode] of Object.entries(modes)) {
    const run = (path) => minimizePath(path, none, 2048, mode);
    for (const [, path] of variants) for (let i = 0; i < 50; i++) run(path);
    // Rounds alternate the variants, and each keeps its least time: a busy machine only adds.
    const best = new Map(variants.map(([name]) => [name, Number.POSITIVE_INFINITY]));
    for (let round = 0; round < size.redactionRounds; round++) {
      for (const [name, path] of variants) {
        const t = await timed(() => {
          for (let i = 0; i < 20; i++) run(path);
        });
        best.set(name, Math.min(best.get(name), t.cpuUs / 20));
      }
    }
    const base = best.get('ordinary');
    const [worstName, worstUs] = [...best]
      .filter(([name]) => name !== 'ordinary')
      .sort((a, b) => b[1] - a[1])[0];
    results.redaction.modes[mode] = {
      ordinaryUs: base,
      worst: worstName,
      worstUs,
      ratio: worstUs / base,
      hostileUs: Object.fromEntries([...best].filter(([name]) => name !== 'ordinary')),
    };
    rows.push([
      label,
      fixed(base, 1),
      fixed(worstUs, 1),
      worstName,
      `${fixed(worstUs / base, 2)}x`,
    ]);
  }
  console.log(
    '\nPath redaction of a 16 KB path, CPU us per path (as stored: at most 2048 characters)',
  );
  console.log(table(['', 'ordinary', 'worst hostile', 'which', 'ratio'], rows));
  console.log('');
}

// --- Memory: 1M requests into a logger whose store never answers -------------------------------

{
  const stalled = { name: 'stalled', write: () => new Promise(() => {}) };
  const logger = privacyLog({ secret: SECRET, store: stalled, warnings: false, logger: silent });
  await loadGeo();
  await tick();
  const snapshot = (requests) => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    return { requests, heapUsedBytes: m.heapUsed, rssBytes: m.rss };
  };
  const points = [snapshot(0)];
  const checkpoints = new Set([size.memoryRequests / 10, size.memoryRequests]);
  for (let i = 1; i <= size.memoryRequests; i++) {
    simulate(logger, pool[i % pool.length]);
    // A server yields between requests; so does this loop, so the background stage runs.
    if (i % 1000 === 0) await tick();
    if (checkpoints.has(i)) points.push(snapshot(i));
  }
  const stats = logger.stats();
  const store = stats.stores[0];
  const [start, tenth, end] = points;
  const growthAfterTenth = end.heapUsedBytes - tenth.heapUsedBytes;
  results.memory = {
    requests: size.memoryRequests,
    points,
    accepted: stats.accepted,
    buffered: store.buffered,
    droppedBufferFull: store.dropped.bufferFull,
    queueCap: 10_000,
    heapGrowthBytes: end.heapUsedBytes - start.heapUsedBytes,
    heapGrowthAfterTenthBytes: growthAfterTenth,
    // Bounded: the queue holds no more than its cap, and the last 90% of the run added no more
    // than noise (a few MiB) to the heap.
    bounded: store.buffered <= 10_000 && growthAfterTenth < 16 * 2 ** 20,
  };
  console.log(
    `Memory, ${size.memoryRequests} requests into a store that never answers (after GC; ` +
      'GeoIP data loaded before the first point):',
  );
  console.log(
    table(
      ['after requests', 'heap MiB', 'RSS MiB'],
      points.map((p) => [String(p.requests), mib(p.heapUsedBytes), mib(p.rssBytes)]),
    ),
  );
  console.log(
    `buffered ${store.buffered} (cap 10000), dropped as bufferFull ${store.dropped.bufferFull}; ` +
      `heap growth over the last 90% of the run: ${mib(growthAfterTenth)} MiB -> ` +
      `${results.memory.bounded ? 'bounded' : 'NOT bounded'}`,
  );
  void logger.close({ timeoutMs: 0 });
  console.log('');
}

// --- Background stage --------------------------------------------------------------------------

// The same mix with every request's User-Agent and address drawn from 10,000 of each: the caches'
// worst case (no session repeats its agent), where most records miss the User-Agent cache.
// Twice as many requests as agents, so that every agent comes back once per pass.
const manyPool = withDistinctClients(makeRequests({ count: 20_000, visitorCookies, seed: 61 }), {
  agents: distinctAgents(10_000),
  addresses: distinctAddresses(10_000),
});

results.background = {};
let recordPool;
for (const [name, options, requests = pool] of [
  ['gdpr', { secret: SECRET }],
  ['classic', { secret: SECRET, policy: presets.classic, enrich: { reverse: localReverse } }],
  ['strict', { policy: presets.strict }],
  ['gdpr, 10,000 distinct UAs', { secret: SECRET }, manyPool],
  ['strict, 10,000 distinct UAs', { policy: presets.strict }, manyPool],
]) {
  const { items, process: run, logger } = await capture(options, requests);
  await loadGeo();
  await tick();
  // First pass: the User-Agent cache fills as in a running server; not timed.
  let records = items.map(run);
  const rates = [];
  let serialiseUs = 0;
  for (let pass = 0; pass < size.passes; pass++) {
    const t = await timed(() => {
      records = items.map(run);
    });
    rates.push(items.length / (t.cpuUs / 1e6));
    const s = await timed(() => {
      for (const record of records) JSON.stringify(record);
    });
    serialiseUs += s.cpuUs;
  }
  if (name === 'gdpr') recordPool = records;
  const perCore = median(rates);
  // The hit rate the stage's User-Agent cache (default size) sees over the timed passes.
  const agents = new UserAgentParser();
  let warm = { hits: 0, misses: 0 };
  for (let pass = 0; pass <= size.passes; pass++) {
    if (pass === 1) warm = agents.stats();
    for (const { headers } of requests) agents.parse(headers['user-agent'], captureHints(headers));
  }
  const uaStats = agents.stats();
  const uaHits = uaStats.hits - warm.hits;
  const uaHitRate = uaHits / (uaHits + uaStats.misses - warm.misses);
  results.background[name] = {
    recordsPerCpuSecond: perCore,
    usPerRecord: 1e6 / perCore,
    serialiseUsPerRecord: serialiseUs / (size.passes * items.length),
    distinctUserAgents: new Set(requests.map((request) => request.headers['user-agent'])).size,
    userAgentHitRate: uaHitRate,
  };
  console.log(
    `background stage, ${name}: ${thousands(perCore)} records/s per core (${fixed(1e6 / perCore, 2)} us/record; ` +
      `JSON.stringify of the record ${fixed(results.background[name].serialiseUsPerRecord, 2)} us more; ` +
      `User-Agent cache ${Math.round(uaHitRate * 100)}% hits over ${results.background[name].distinctUserAgents} distinct)`,
  );
  await logger.close();
}

// --- Security detection ------------------------------------------------------------------------

results.detection = await benchDetection({
  quick,
  targets: pool.map((r) => ({ target: r.path, userAgent: r.headers['user-agent'] })),
});
results.requestPath = await benchRequestPath({ quick, specs: pool });
console.log('');

// --- Stores ------------------------------------------------------------------------------------

/** Stores to measure: the built-in ones, and PostgreSQL or Redis when their URL and build exist. */
async function storesToMeasure() {
  const list = [
    ['SqliteStore', () => new SqliteStore({ path: join(work, 'write.sqlite') })],
    ['NdjsonStore', () => new NdjsonStore({ destination: join(work, 'write.ndjson') })],
    ['MemoryStore', () => new MemoryStore()],
  ];
  const skipped = [];
  const pgBuild = join(DIST, 'entries/postgres.js');
  if (!process.env.PG_URL) skipped.push(['PostgresStore', 'PG_URL is not set']);
  else if (!existsSync(pgBuild)) skipped.push(['PostgresStore', 'no PostgresStore in dist/ yet']);
  else {
    const { default: pg } = await import('pg');
    const { PostgresStore } = await import(pathToFileURL(pgBuild).href);
    list.push([
      'PostgresStore',
      () => {
        const pgPool = new pg.Pool({ connectionString: process.env.PG_URL, max: 4 });
        pgPool.on('error', () => {});
        const table = `epl_micro_${process.pid}`;
        const store = new PostgresStore({ pool: pgPool, table });
        const close = store.close?.bind(store);
        store.close = async () => {
          await close?.();
          await dropPostgresTables(pgPool, table);
          await pgPool.end();
        };
        return store;
      },
    ]);
  }
  const redisBuild = join(DIST, 'entries/redis.js');
  if (!process.env.REDIS_URL) skipped.push(['RedisStreamStore', 'REDIS_URL is not set']);
  else if (!existsSync(redisBuild))
    skipped.push(['RedisStreamStore', 'no RedisStreamStore in dist/ yet']);
  else {
    const { createClient } = await import('redis');
    const { RedisStreamStore: RedisStore } = await import(pathToFileURL(redisBuild).href);
    list.push([
      'RedisStreamStore',
      async () => {
        const client = createClient({ url: process.env.REDIS_URL });
        await client.connect();
        const prefix = `epl-micro-${process.pid}`;
        const store = new RedisStore({ client, prefix });
        const close = store.close?.bind(store);
        store.close = async () => {
          await close?.();
          // Its keys only: they all carry the prefix.
          for await (const keys of client.scanIterator({ MATCH: `*${prefix}*`, COUNT: 500 })) {
            for (const key of [keys].flat()) await client.unlink(key);
          }
          await client.quit();
        };
        return store;
      },
    ]);
  }
  return { list, skipped };
}

/** Write `rows` fresh records (new ids, contents from the pool) in batches of `batch`. */
async function writeRate(makeStore, rows, batch) {
  const store = await makeStore();
  await store.init?.();
  const batches = [];
  let n = 0;
  const base = Date.now();
  while (n < rows) {
    const records = [];
    for (let i = 0; i < batch && n < rows; i++, n++) {
      const record = recordPool[n % recordPool.length];
      records.push({ ...record, id: uuidv7(base + n) });
    }
    batches.push(records);
  }
  const t = await timed(async () => {
    for (const records of batches) await store.write(records);
    await store.close?.();
  });
  return { rowsPerSecond: rows / (t.wallMs / 1e3), cpuUsPerRow: t.cpuUs / rows };
}

{
  const { list, skipped } = await storesToMeasure();
  results.stores = {};
  const rows = [];
  for (const [name, make] of list) {
    // The slower stores write fewer rows, so that a full run stays within a few minutes.
    const cap = { MemoryStore: 100_000, RedisStreamStore: 50_000 }[name] ?? size.storeRows;
    const rowCount = Math.min(size.storeRows, cap);
    const sizes = name === 'SqliteStore' && !quick ? [50, 500, 5000] : [500];
    for (const batch of sizes) {
      rmSync(join(work, 'write.sqlite'), { force: true });
      const rate = await writeRate(make, rowCount, batch);
      results.stores[batch === 500 ? name : `${name} (batch ${batch})`] = {
        ...rate,
        batch,
        rows: rowCount,
      };
      rows.push([name, batch, thousands(rate.rowsPerSecond), fixed(rate.cpuUsPerRow, 2)]);
    }
  }
  for (const [name, why] of skipped) {
    results.stores[name] = { skipped: why };
    rows.push([name, '-', `skipped: ${why}`, '']);
  }
  console.log('\nStore write rate (rows/s, wall time, including close)');
  console.log(table(['store', 'batch', 'rows/s', 'CPU us/row'], rows));
}

rmSync(work, { recursive: true, force: true });
if (args.out) writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
// The stalled store's write never settles; nothing else is pending.
process.exit(0);
