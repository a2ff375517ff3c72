#!/usr/bin/env node
// What installing the package costs a consumer: the packed tarball installed into an empty project
// with Express, once for the default set-up and once with every optional peer (the ASN data for
// the company lookup, pg and pg-copy-streams, redis). Prints the install time and the size of
// node_modules (`du -sk`), and the largest packages.
//
// Usage: npm run build && node scripts/install-weight.mjs [--ignore-scripts]
// Times depend on the network, the npm cache (the install uses --prefer-offline) and, without a
// prebuilt better-sqlite3 for the platform, on compiling it; --ignore-scripts leaves that out.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const ignoreScripts = process.argv.includes('--ignore-scripts');

const SETS = {
  default: [],
  full: ['@ip-location-db/asn', 'pg', 'pg-copy-streams', 'redis'],
};

async function kilobytes(path) {
  const { stdout } = await run('du', ['-sk', path]);
  return Number(stdout.split('\t')[0]);
}

async function largest(modules) {
  const { stdout } = await run('sh', ['-c', 'du -sk * @*/* 2>/dev/null | sort -rn | head -5'], {
    cwd: modules,
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [kb, name] = line.split('\t');
      return `${name} ${(Number(kb) / 1024).toFixed(0)} MB`;
    })
    .join(', ');
}

const scratch = await mkdtemp(join(tmpdir(), 'epl-weight-'));
try {
  const { stdout } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch],
    { cwd: ROOT },
  );
  const [packed] = JSON.parse(stdout);
  const tarball = join(scratch, packed.filename);
  console.log(
    `tarball: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked`,
  );
  for (const [name, extra] of Object.entries(SETS)) {
    const dir = join(scratch, name);
    await mkdir(dir);
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: `weight-${name}`, private: true }),
    );
    const args = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
    if (ignoreScripts) args.push('--ignore-scripts');
    const started = Date.now();
    await run('npm', [...args, tarball, 'express', ...extra], { cwd: dir, maxBuffer: 1 << 26 });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const modules = join(dir, 'node_modules');
    const mb = ((await kilobytes(modules)) / 1024).toFixed(0);
    console.log(
      `${name}: ${mb} MB in node_modules, installed in ${seconds} s; largest: ${await largest(modules)}`,
    );
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
