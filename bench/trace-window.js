// The text a benchmark server writes (stdout and stderr) over a measured window, for the scripts
// that read a V8 trace of it (bench/gc.js, bench/jit.js): the server starts with `execArgv`,
// answers `warmup` requests, then `requests` more, whose output is returned. 10 connections,
// as the CPU section of bench/run.js. Imports the load generator, whose traffic module imports
// dist/: import this module only after the build.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib.js';
import { drive } from './loadgen.js';

export async function traceWindow(variant, { execArgv, warmup, requests }) {
  const dir = mkdtempSync(join(tmpdir(), 'epl-trace-'));
  const server = await startServer(variant, { dir, execArgv });
  try {
    const load = (seed, amount) =>
      drive({ url: server.url, connections: 10, seed, visitorCookies: [], amount });
    await load(1000, warmup);
    await server.start();
    const before = server.output().length;
    await load(100_000, requests);
    await server.stop();
    return server.output().slice(before);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
