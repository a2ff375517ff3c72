// The benchmark site and its variants: the same small Express app, with no access log, with
// morgan or pino-http, or with this library under different policies and stores. It imports the
// library by its package name, which resolves to the build in dist/.
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express from 'express';
import { SECRET } from './traffic.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Where the PostgreSQL store's build lives once it exists. */
export const POSTGRES_STORE = join(ROOT, 'dist/entries/postgres.js');

/**
 * The variants of one run, in table order. `skip(env)` returns why a variant cannot run here, or
 * undefined when it can; `full` variants only repeat another's code with another preset, and a
 * `--quick` run leaves them out.
 */
export const VARIANTS = [
  { name: 'bare', label: 'bare Express' },
  { name: 'floor', label: 'floor: an object pushed at close' },
  { name: 'floor-ip', label: 'floor + req.ip' },
  { name: 'morgan', label: "morgan('combined') to /dev/null" },
  { name: 'pino-http', label: 'pino-http to /dev/null' },
  { name: 'strict', label: 'strict + MemoryStore' },
  { name: 'gdpr', label: 'gdpr + SQLite, in process (the default outside production)' },
  { name: 'cookieless', label: 'cookieless + SQLite', full: true },
  { name: 'ccpa', label: 'ccpa + SQLite', full: true },
  { name: 'classic', label: 'classic, full enrichment + SQLite' },
  { name: 'strict-worker', label: 'strict + MemoryStore, worker mode' },
  { name: 'gdpr-worker', label: 'gdpr + SQLite, worker mode (the default in production)' },
  { name: 'cookieless-worker', label: 'cookieless + SQLite, worker mode', full: true },
  { name: 'ccpa-worker', label: 'ccpa + SQLite, worker mode', full: true },
  { name: 'classic-worker', label: 'classic, full enrichment + SQLite, worker mode' },
  {
    name: 'postgres',
    label: 'gdpr + PostgreSQL',
    skip(env) {
      if (!env.PG_URL) return 'PG_URL is not set';
      if (!existsSync(POSTGRES_STORE))
        return `${POSTGRES_STORE} does not exist (no PostgresStore yet)`;
      return undefined;
    },
  },
];

const PRODUCTS = Array.from({ length: 60 }, (_, i) => ({
  id: String(i + 1),
  name: `Product ${i + 1}`,
  price: (5 + ((i * 37) % 95) + 0.5).toFixed(2),
}));

const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/site.css"></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a> <a href="/search">Search</a></nav>
<h1>${title}</h1>
${body}
<footer><p>Example shop. Your visit is recorded as our privacy policy says.</p></footer>
</body></html>
`;

const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

const HOME = page(
  'Example shop',
  `<ul>${PRODUCTS.slice(0, 12)
    .map((p) => `<li><a href="/products/${p.id}">${p.name}</a> ${p.price}</li>`)
    .join('')}</ul>`,
);
const ABOUT = page('About us', '<p>We sell kettles, teapots and tea towels since 1998.</p>');

/** Add the site's routes; identical in every variant. */
function addRoutes(app) {
  app.get('/', (_req, res) => {
    res.send(HOME);
  });
  app.get('/about', (_req, res) => {
    res.send(ABOUT);
  });
  app.get('/products/:id', (req, res) => {
    const product = PRODUCTS[Number(req.params.id) - 1];
    if (product === undefined) {
      res.status(404).send(page('Not found', '<p>No such product.</p>'));
      return;
    }
    res.send(page(product.name, `<p>Price: ${product.price}</p><p><a href="/">Back</a></p>`));
  });
  app.get('/search', (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const found = PRODUCTS.filter((p) => p.name.toLowerCase().includes(q.toLowerCase()));
    res.send(page('Search', `<p>${found.length} results for ${escapeHtml(q)}</p>`));
  });
  app.get('/api/products', (req, res) => {
    const limit = Math.min(Number(req.query.limit) || 10, 50);
    const offset = Math.max(Number(req.query.offset) || 0, 0);
    res.json({ total: PRODUCTS.length, items: PRODUCTS.slice(offset, offset + limit) });
  });
}

const ISP_DOMAINS = [
  'dyn.telekom.example.de',
  'btcentralplus.com',
  'fbx.proxad.net',
  'res.rr.com',
  'hsd1.ca.comcast.net',
  'dip0.t-ipconnect.de',
  'static.vodafone.example.it',
  'bb.sky.com',
  'ocn.ne.jp',
  'virtua.com.br',
];

/**
 * A reverse-DNS lookup answered in this process, after a turn of the event loop as a resolver's
 * answer would come: about one address in four has no PTR name, the others a name under an access
 * provider's domain. Stands in for `node:dns`, so that the benchmark sends no query to a resolver.
 */
export function localReverse(address) {
  let hash = 0;
  for (let i = 0; i < address.length; i++) hash = (hash * 31 + address.charCodeAt(i)) >>> 0;
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      if (hash % 4 === 0) {
        reject(
          Object.assign(new Error(`getHostByAddr ENOTFOUND ${address}`), { code: 'ENOTFOUND' }),
        );
      } else {
        const label = address.replaceAll(/[.:]/g, '-');
        resolve([`host-${label}.${ISP_DOMAINS[hash % ISP_DOMAINS.length]}`]);
      }
    });
  });
}

/** Drop the tables a PostgresStore made under `table` (its partitions go with the parent). */
export async function dropPostgresTables(pool, table) {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`unsafe table name ${table}`);
  await pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_holds, ${table}_schema CASCADE`);
}

/**
 * Build one variant.
 *
 * @param {string} name a name from {@link VARIANTS}
 * @param {{ dir: string, pgUrl?: string, retention?: boolean }} options `dir`: a private temporary
 * folder for files; `retention: false` turns the library's retention schedule off
 * @returns {Promise<{ app: import('express').Express, logger?: import('express-privacy-log').PrivacyLogMiddleware,
 *   close(): Promise<void> }>}
 */
export async function createVariant(name, { dir, pgUrl, retention = true }) {
  const app = express();
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  app.disable('etag');
  let logger;
  let closeExtra = async () => {};
  // Loaded only by the variants that use it, so that the others' memory does not include it.
  const library = async () => {
    const loaded = await import('express-privacy-log');
    if (retention) return loaded;
    // Without the retention schedule: its first run comes one to six minutes after the start and
    // rolls every record up on the serving thread, which a run at callgrind's pace catches in its
    // measured window about as often as not.
    const privacyLog = (options) =>
      loaded.privacyLog({ retention: { enabled: false }, ...options });
    return { ...loaded, privacyLog };
  };
  switch (name) {
    case 'bare':
      break;
    case 'floor':
    case 'floor-ip': {
      // The least any access log costs: an object per request, pushed when its response closes
      // (and, for floor-ip, Express's req.ip). The library's serving thread is measured against it.
      const withIp = name === 'floor-ip';
      const finished = [];
      app.use((req, res, next) => {
        const entry = {
          time: Date.now(),
          method: req.method,
          url: req.originalUrl,
          ip: withIp ? req.ip : undefined,
          status: 0,
        };
        res.on('close', () => {
          entry.status = res.statusCode;
          finished.push(entry);
          if (finished.length >= 500) finished.length = 0;
        });
        next();
      });
      break;
    }
    case 'morgan': {
      const { default: morgan } = await import('morgan');
      const stream = createWriteStream('/dev/null');
      app.use(morgan('combined', { stream }));
      closeExtra = () => new Promise((resolve) => stream.end(resolve));
      break;
    }
    case 'pino-http': {
      const { pino } = await import('pino');
      const { pinoHttp } = await import('pino-http');
      // pino's recommended fast set-up: asynchronous writes, flushed in 4 KiB blocks.
      const destination = pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
      app.use(pinoHttp({ logger: pino(destination) }));
      closeExtra = async () => destination.flushSync();
      break;
    }
    case 'strict':
    case 'strict-worker': {
      const { MemoryStore, presets, privacyLog } = await library();
      logger = privacyLog({
        policy: presets.strict,
        store: new MemoryStore(),
        warnings: false,
        worker: name === 'strict-worker',
      });
      break;
    }
    case 'gdpr':
    case 'gdpr-worker': {
      const { privacyLog, SqliteStore } = await library();
      // The defaults: the gdpr policy and a SqliteStore (here in a temporary folder).
      logger = privacyLog({
        secret: SECRET,
        store: new SqliteStore({ path: join(dir, 'access-log.sqlite') }),
        warnings: false,
        worker: name === 'gdpr-worker',
      });
      break;
    }
    case 'cookieless':
    case 'cookieless-worker':
    case 'ccpa':
    case 'ccpa-worker': {
      const { presets, privacyLog, SqliteStore } = await library();
      const preset = name.startsWith('ccpa') ? 'ccpa' : 'cookieless';
      logger = privacyLog({
        policy: presets[preset],
        secret: SECRET,
        store: new SqliteStore({ path: join(dir, 'access-log.sqlite') }),
        warnings: false,
        worker: name.endsWith('-worker'),
      });
      break;
    }
    case 'classic':
    case 'classic-worker': {
      const { presets, privacyLog, SqliteStore } = await library();
      logger = privacyLog({
        policy: presets.classic,
        secret: SECRET,
        store: new SqliteStore({ path: join(dir, 'access-log.sqlite') }),
        // Reverse DNS answered in-process (see localReverse): a benchmark sends no query out. In
        // worker mode the worker calls it on the serving thread.
        enrich: { reverse: localReverse },
        warnings: false,
        worker: name === 'classic-worker',
      });
      break;
    }
    case 'postgres': {
      const { privacyLog } = await library();
      if (!pgUrl) throw new Error('the postgres variant needs PG_URL');
      const { default: pg } = await import('pg');
      const { PostgresStore } = await import(pathToFileURL(POSTGRES_STORE).href);
      const pool = new pg.Pool({ connectionString: pgUrl, max: 4, connectionTimeoutMillis: 5000 });
      pool.on('error', () => {});
      // Tables of its own, dropped again when the server closes.
      const table = `epl_bench_${process.pid}`;
      logger = privacyLog({
        secret: SECRET,
        store: new PostgresStore({ pool, table }),
        warnings: false,
      });
      closeExtra = async () => {
        await dropPostgresTables(pool, table);
        await pool.end();
      };
      break;
    }
    default:
      throw new Error(`unknown variant ${name}`);
  }
  if (logger) {
    app.use(logger);
    app.use(logger.router());
  }
  addRoutes(app);
  return {
    app,
    logger,
    async close() {
      await logger?.close();
      await closeExtra();
    },
  };
}
