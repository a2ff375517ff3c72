// Start-up cost, each figure from fresh processes (a module is loaded once per process, so nothing
// else can measure it): the time `import('express-privacy-log')` takes, beside Express, morgan and
// pino-http; and the resident memory of an idle server with a logger of each preset, beside bare
// Express and morgan, after its logger has loaded what its policy needs (GeoIP, the ASN table, the
// SQLite driver) and written one request.
//
//   node bench/startup.js [--quick] [--runs N] [--out FILE]   (bench/run.js runs it)
//
// An import is measured by `node --input-type=module -e`; the memory of a variant by a child of this
// script, `node --expose-gc bench/startup.js --child VARIANT`, which prints its figures as JSON.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixed, median, mib, table } from './lib.js';

const SELF = fileURLToPath(import.meta.url);
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** What each import measurement loads, by label. */
export const IMPORTS = [
  ['express-privacy-log', 'express-privacy-log'],
  ['express', 'express'],
  ['morgan', 'morgan'],
  ['pino-http', 'pino-http'],
];

/** The idle-memory variants, in table order. */
export const RSS_VARIANTS = [
  ['bare', 'bare Express'],
  ['morgan', "morgan('combined') to /dev/null"],
  ['strict', 'strict + MemoryStore'],
  ['gdpr', 'gdpr + SQLite (the default)'],
  ['cookieless', 'cookieless + SQLite'],
  ['ccpa', 'ccpa + SQLite'],
  ['classic', 'classic, full enrichment + SQLite'],
];

// --- Child: one measurement ------------------------------------------------------------------

/**
 * The whole child of an import measurement, run with `node --input-type=module -e`: nothing is
 * loaded before the import but Node itself. The package resolves by its own name from the root.
 */
const importScript = (specifier) => `
  const cpu = process.cpuUsage();
  const start = performance.now();
  await import(${JSON.stringify(specifier)});
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));`;

/** The logger of a variant, or undefined for bare Express and morgan. */
async function loggerOf(variant, dir) {
  const { MemoryStore, presets, privacyLog, SqliteStore } = await import('express-privacy-log');
  const sqlite = () => new SqliteStore({ path: join(dir, 'access-log.sqlite') });
  const common = { warnings: false };
  switch (variant) {
    case 'strict':
      return privacyLog({ ...common, policy: presets.strict, store: new MemoryStore() });
    case 'gdpr':
      return privacyLog({ ...common, secret: SECRET, store: sqlite() });
    case 'cookieless':
      return privacyLog({ ...common, policy: presets.cookieless, store: sqlite() });
    case 'ccpa':
      return privacyLog({ ...common, policy: presets.ccpa, secret: SECRET, store: sqlite() });
    case 'classic': {
      // Reverse DNS answered in-process, as in the HTTP benchmark: no query leaves the machine.
      const { localReverse } = await import('./app.js');
      return privacyLog({
        ...common,
        policy: presets.classic,
        secret: SECRET,
        store: sqlite(),
        enrich: { reverse: localReverse },
      });
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

async function rssChild(variant) {
  const dir = mkdtempSync(join(tmpdir(), 'epl-startup-'));
  try {
    const { createWriteStream } = await import('node:fs');
    const { default: express } = await import('express');
    const app = express();
    let stream;
    let logger;
    if (variant === 'morgan') {
      const { default: morgan } = await import('morgan');
      stream = createWriteStream('/dev/null');
      app.use(morgan('combined', { stream }));
    } else if (variant !== 'bare') {
      logger = await loggerOf(variant, dir);
      app.use(logger);
    }
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    // One request, written: whatever the policy loads lazily has loaded by then.
    const response = await fetch(`http://127.0.0.1:${server.address().port}/`, {
      headers: {
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      },
    });
    await response.text();
    await logger?.flush();
    for (let i = 0; i < 3; i++) {
      globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const memory = process.memoryUsage();
    const result = { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed };
    server.close();
    await logger?.close();
    stream?.end();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- Parent: fresh processes, medians ----------------------------------------------------------

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function runChild(args) {
  const out = execFileSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1));
}

/**
 * Measure import times and idle memory, `runs` fresh processes each (alternating the variants),
 * print two tables and return the figures.
 */
export function measureStartup({ runs = 7, log = console.log } = {}) {
  const imports = new Map(IMPORTS.map(([label]) => [label, []]));
  const rss = new Map(RSS_VARIANTS.map(([name]) => [name, []]));
  for (let run = 0; run < runs; run++) {
    for (const [label, specifier] of IMPORTS) {
      imports.get(label).push(runChild(['--input-type=module', '-e', importScript(specifier)]));
    }
    for (const [name] of RSS_VARIANTS) {
      rss.get(name).push(runChild(['--expose-gc', SELF, '--child', name]));
    }
  }
  const result = { runs, imports: {}, rss: {} };
  const importRows = [];
  for (const [label] of IMPORTS) {
    const list = imports.get(label);
    const entry = {
      wallMs: median(list.map((x) => x.wallMs)),
      cpuMs: median(list.map((x) => x.cpuMs)),
      minWallMs: Math.min(...list.map((x) => x.wallMs)),
    };
    result.imports[label] = entry;
    importRows.push([label, fixed(entry.wallMs), fixed(entry.minWallMs), fixed(entry.cpuMs)]);
  }
  log(`\nImport time, fresh process each (median of ${runs}; CPU: user + system of the process)`);
  log(table(['import', 'wall ms', 'min ms', 'CPU ms'], importRows));

  const rssRows = [];
  const bare = median(rss.get('bare').map((x) => x.rssBytes));
  for (const [name, label] of RSS_VARIANTS) {
    const list = rss.get(name);
    const entry = {
      label,
      rssBytes: median(list.map((x) => x.rssBytes)),
      heapUsedBytes: median(list.map((x) => x.heapUsedBytes)),
    };
    result.rss[name] = entry;
    rssRows.push([
      label,
      mib(entry.rssBytes),
      mib(entry.rssBytes - bare),
      mib(entry.heapUsedBytes),
    ]);
  }
  log(
    `\nIdle memory after the logger is built and one request is written (after GC; median of ${runs})`,
  );
  log(table(['variant', 'RSS MiB', '+ over bare', 'heap MiB'], rssRows));
  return result;
}

if (process.argv[1] === SELF) {
  // Only when run itself: bench/run.js imports this module, and its own options are not these.
  const { values: args } = parseArgs({
    options: {
      child: { type: 'string' },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (args.child) {
    process.stdout.write(`${JSON.stringify(await rssChild(args.child))}\n`);
  } else {
    const result = measureStartup({ runs: Number(args.runs ?? (args.quick ? 3 : 7)) });
    if (args.out) writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  }
}
