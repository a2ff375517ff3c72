// The JavaScript of dist/, bundled (`npm run build` runs it after tsc has written the type
// declarations). Node's ES module loader pays per module: the ~130 modules tsc emitted one by one
// made `import('express-privacy-log')` cost 130-210 ms, so esbuild joins them into one file per
// entry point plus shared chunks. docs/architecture.md ("The build") describes the layout.
//
//   node scripts/build.mjs
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** The source module a build path names: `./dist/entries/sqlite.js` is `src/entries/sqlite.ts`. */
const sourceOf = (target) => target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
/** The output path without its extension, as esbuild's `out` wants it: `entries/sqlite`. */
const outOf = (target) => target.replace(/^\.\/dist\//, '').replace(/\.js$/, '');

/** What package.json publishes: every subpath of "exports" and the command. */
const published = [
  ...Object.values(pkg.exports)
    .map((target) => (typeof target === 'string' ? target : target.default))
    .filter((target) => target.endsWith('.js')),
  ...Object.values(pkg.bin),
];

/**
 * Loaded by path at run time rather than imported: the worker thread's entry, which
 * src/worker/entry-url.ts finds at `dist/worker/entry.js`.
 */
const byPath = ['./dist/worker/entry.js'];

/**
 * Internal modules the benchmarks and the test suite's child processes import from the build:
 * `dist/internal/index.js` re-exports them all. It is an entry point of the same build, so a class
 * it exports is the one the package uses (one chunk holds it). One entry rather than one per module:
 * each entry point splits the shared code further, and the package's import would load more chunks.
 * The command's runner has an entry of its own, `dist/internal/cli/run.js`, so that a test can see
 * what the command loads without the rest. package.json "files" leaves dist/internal out.
 */
const INTERNAL = [
  'enrich/client-hints.ts',
  'enrich/company.ts',
  'enrich/geo.ts',
  'enrich/user-agent.ts',
  'ids.ts',
  'minimize/ip.ts',
  'minimize/url.ts',
  'pipeline/dispatcher.ts',
  'policy/compile.ts',
  'policy/security-detect-schema.ts',
  'reports/rollup.ts',
  'reports/runner.ts',
  'reports/traffic.ts',
  'request/region.ts',
  'security/detectors.ts',
  'stores/postgres/sql.ts',
  'stores/sqlite/rollups.ts',
];
const INTERNAL_INDEX = 'internal-modules';

/** The re-exporting module of dist/internal/index.js, made here rather than kept in src/. */
const internalIndex = {
  name: 'internal-index',
  setup(builder) {
    builder.onResolve({ filter: new RegExp(`^${INTERNAL_INDEX}$`) }, () => ({
      path: INTERNAL_INDEX,
      namespace: INTERNAL_INDEX,
    }));
    builder.onLoad({ filter: /.*/, namespace: INTERNAL_INDEX }, () => ({
      contents: INTERNAL.map((path) => `export * from './src/${path}';`).join('\n'),
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

const entryPoints = [
  ...[...published, ...byPath].map((target) => ({ in: sourceOf(target), out: outOf(target) })),
  { in: INTERNAL_INDEX, out: 'internal/index' },
  { in: 'src/cli/run.ts', out: 'internal/cli/run' },
];

const result = await build({
  absWorkingDir: ROOT,
  entryPoints,
  outdir: DIST,
  bundle: true,
  // Shared modules go to shared chunks, so a class is one class whichever entry point loaded it
  // (instanceof PolicyError, SqliteStore across '.' and the subpaths), and an `import()` that
  // exists to load a module late stays a chunk of its own.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Dependencies are installed beside the package and resolved by Node, as before.
  packages: 'external',
  // Two modules in one chunk may each have a function of the same name; esbuild renames one, and
  // keepNames keeps its `name` property (a class's name shows in messages and stack traces).
  keepNames: true,
  metafile: true,
  plugins: [internalIndex],
  logLevel: 'warning',
});

// The command is run by path: its file keeps the shebang (esbuild keeps it) and becomes executable.
for (const target of Object.values(pkg.bin)) chmodSync(join(ROOT, target), 0o755);

/**
 * Which source modules each output file holds, by their unbundled path (`policy/schema.js`), for
 * the test that checks what an import loads (test/fixtures/load-probe.mjs). Not shipped.
 */
const modules = {};
for (const [output, { inputs }] of Object.entries(result.metafile.outputs)) {
  if (!output.endsWith('.js')) continue;
  modules[relative(DIST, join(ROOT, output))] = Object.keys(inputs)
    .filter((input) => input.startsWith('src/'))
    .map((input) => input.slice('src/'.length).replace(/\.ts$/, '.js'))
    .sort();
}
const map = join(DIST, 'internal/modules.json');
mkdirSync(dirname(map), { recursive: true });
writeFileSync(map, `${JSON.stringify(modules, null, 2)}\n`);
