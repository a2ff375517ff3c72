// Instructions executed by `import(...)` of this package, express, morgan and pino-http, counted by
// valgrind's callgrind beyond Node's own start (a process that imports nothing): a figure that does
// not move with the load of a shared machine, beside the wall times of bench/startup.js.
//
//   node bench/import-instructions.js [--package DIR]   (needs valgrind; takes a minute or two)
//
// --package DIR measures the build of another checkout (its dist/, imported by the package's name
// from DIR), e.g. an older commit, for a before-and-after figure.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values: args } = parseArgs({ options: { package: { type: 'string' } } });
const cwd = resolve(args.package ?? ROOT);

/** Instructions of one fresh `node` process running `script`, as callgrind counts them. */
function instructions(script) {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      '--input-type=module',
      '-e',
      script,
    ],
    { cwd, encoding: 'utf8' },
  );
  if (run.error) throw new Error(`valgrind could not run: ${run.error.message}`);
  const match = /Collected : (\d+)/.exec(run.stderr);
  if (run.status !== 0 || !match) throw new Error(`callgrind failed:\n${run.stderr.slice(-2000)}`);
  return Number(match[1]);
}

const base = instructions('0');
console.log(`node alone: ${(base / 1e9).toFixed(3)} billion instructions (${cwd})`);
for (const specifier of ['express-privacy-log', 'express', 'morgan', 'pino-http']) {
  const total = instructions(`await import(${JSON.stringify(specifier)})`);
  console.log(`import('${specifier}'): ${((total - base) / 1e9).toFixed(3)} billion beyond that`);
}
