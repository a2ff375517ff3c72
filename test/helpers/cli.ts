import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runCli as runInProcess } from '../../src/cli/run.js';

/** The built command, as `npm install` links it; `npm test` builds before the tests run. */
export const MAIN = resolve('dist/cli/main.js');

/** What a run of the command line gave. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where and how to run it: the folder, extra environment, and flags for node itself. */
export interface CliSetting {
  cwd: string;
  env?: Record<string, string>;
  nodeFlags?: readonly string[];
}

/** Fail early, with the fix, when the command has not been built. */
export function requireBuiltCli(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
}

/** Run the command as a user would: a child process, in `cwd`, on its own environment. */
export function runCli(setting: CliSetting, ...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...(setting.nodeFlags ?? []), MAIN, ...args],
      {
        cwd: setting.cwd,
        env: { PATH: process.env.PATH ?? '', ...setting.env },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The command line, run in this process: its exit code, standard output and standard error. */
export async function cli(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runInProcess(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
  });
  return { code, stdout, stderr };
}
