#!/usr/bin/env node
// The package as its users get it: pack the tarball, install it into fresh projects on Express 5
// and on Express 4, and in each run the README's quick start as an ES module, as CommonJS and as
// TypeScript (type-checked with `strict`, `exactOptionalPropertyTypes`, `module: nodenext` and
// `skipLibCheck: false`, then run), and the "Extending a preset" example. Each quick start serves
// real requests and is stopped with SIGTERM; what it stored is read back from its SQLite file.
//
// Usage: node scripts/consumer-test.mjs [--keep | --reuse <folder>]. `--keep` leaves the projects
// in the temporary folder it prints; `--reuse` runs the checks again in such a folder, without
// packing or installing (after a change to the examples or the checks). Needs a build in dist/ (`npm run build`) and the
// npm registry or a warm npm cache. Prints one line per step; exits non-zero on the first failure.
// One npm install per Express major: the Express 4 project starts from a copy of the Express 5
// one's install and lockfile and lets npm swap Express and its types, so better-sqlite3's native
// build is done once.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkImportLoadsNothingHeavy, checkStored, exchange } from './consumer/checks.mjs';
import { projectFiles } from './consumer/projects.mjs';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const EXAMPLES = join(ROOT, 'examples/readme');
const keep = process.argv.includes('--keep');
const reuse = process.argv.includes('--reuse')
  ? process.argv[process.argv.indexOf('--reuse') + 1]
  : undefined;
const npmFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

const log = (message) => console.log(`[consumer] ${message}`);

async function npm(cwd, args) {
  return run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Start a quick start, serve it a few requests, stop it with SIGTERM, return its exit code. */
async function runQuickStart(cwd, file) {
  // Only this run's records count (a reused project may hold an earlier run's file).
  for (const suffix of ['', '-wal', '-shm']) {
    await rm(join(cwd, `access-log.sqlite${suffix}`), { force: true });
  }
  const port = await freePort();
  const child = spawn(process.execPath, [file], {
    cwd,
    env: {
      ...process.env,
      PORT: String(port),
      COOKIE_SECRET: 'consumer-test-secret-0123456789abcdef',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    await exchange(`http://127.0.0.1:${port}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${file} in ${cwd}: ${error.message}\n${output}`);
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${file} in ${cwd} exited with ${code ?? signal}\n${output}`);
}

async function writeProject(dir, files) {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

/** The three projects of one Express major, checked and run. */
async function exercise(base, major) {
  const examples = {
    'usage.mjs': await readFile(join(EXAMPLES, 'usage.mjs'), 'utf8'),
    'usage.cjs': await readFile(join(EXAMPLES, 'usage.cjs'), 'utf8'),
    'usage.ts': await readFile(join(EXAMPLES, 'usage.ts'), 'utf8'),
    'extend-preset.mjs': await readFile(join(EXAMPLES, 'extend-preset.mjs'), 'utf8'),
  };
  await writeProject(base, projectFiles(examples));

  const started = Date.now();
  await run(process.execPath, [join(base, 'node_modules/typescript/bin/tsc'), '-p', 'ts'], {
    cwd: base,
  }).catch((error) => {
    throw new Error(`TypeScript on Express ${major}:\n${error.stdout}${error.stderr}`);
  });
  log(`express ${major}: TypeScript project type-checks and compiles (${Date.now() - started} ms)`);

  for (const [dir, file] of [
    ['esm', 'usage.mjs'],
    ['cjs', 'usage.cjs'],
    ['ts', 'out/usage.js'],
  ]) {
    await runQuickStart(join(base, dir), file);
    await checkStored(join(base, dir));
    log(
      `express ${major}: ${dir}/${file} served, stopped on SIGTERM, stored what the policy allows`,
    );
  }
  const { stdout } = await run(process.execPath, ['extend-preset-check.mjs'], {
    cwd: join(base, 'esm'),
  });
  if (stdout.trim() !== 'country P3M legitimate-interests page') {
    throw new Error(`extend-preset.mjs on Express ${major} gave: ${stdout}`);
  }
  log(`express ${major}: extend-preset.mjs defines the extended policy`);
}

async function main() {
  if (reuse) {
    await exercise(join(reuse, 'express5'), 5);
    await exercise(join(reuse, 'express4'), 4);
    log('ok');
    return;
  }
  const scratch = await mkdtemp(join(tmpdir(), 'epl-consumer-'));
  try {
    const { stdout } = await npm(ROOT, [
      'pack',
      '--ignore-scripts',
      '--json',
      '--pack-destination',
      scratch,
    ]);
    const [packed] = JSON.parse(stdout);
    // A build running meanwhile (it starts by emptying dist/) would leave a tarball without code.
    if (!packed.files.some((file) => file.path === 'dist/index.js')) {
      throw new Error(
        'the tarball has no dist/index.js: run `npm run build` first, and let it finish',
      );
    }
    const tarball = join(scratch, packed.filename);
    log(`packed ${tarball}`);

    const v5 = join(scratch, 'express5');
    await mkdir(v5);
    const manifest = (express, types) => ({
      name: `consumer-express-${express}`,
      private: true,
      dependencies: {
        'express-privacy-log': `file:${tarball}`,
        express: `^${express}`,
        '@types/express': `^${types}`,
        '@types/node': '^20.19.0',
        typescript: '^5.9.0',
      },
    });
    await writeFile(join(v5, 'package.json'), JSON.stringify(manifest(5, 5), null, 2));
    let started = Date.now();
    await npm(v5, ['install', ...npmFlags]);
    log(`express 5: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await checkImportLoadsNothingHeavy(v5);
    log('express 5: no ASN data installed; the package root loads no native module or data');

    const v4 = join(scratch, 'express4');
    await cp(v5, v4, { recursive: true, verbatimSymlinks: true });
    await writeFile(join(v4, 'package.json'), JSON.stringify(manifest(4, 4), null, 2));
    started = Date.now();
    await npm(v4, ['install', ...npmFlags]);
    log(`express 4: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    await exercise(v5, 5);
    await exercise(v4, 4);
    log('ok');
  } finally {
    if (keep) log(`kept ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`[consumer] FAILED: ${error.stack ?? error}`);
  process.exit(1);
});
