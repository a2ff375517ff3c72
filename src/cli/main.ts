#!/usr/bin/env node
// The `express-privacy-log` command. Everything it does lives in run.ts, so tests can run it in
// the same process; this file only connects it to the real process.
import { runCli } from './run.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env })
  .then((code) => {
    process.exitCode = code;
  })
  .catch(() => {
    process.exitCode = 1;
  });
