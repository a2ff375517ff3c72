import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../src/worker/exec-argv.js';

describe('workerExecArgv', () => {
  it('lets the worker inherit options that do not describe the main script', () => {
    expect(workerExecArgv([])).toBeUndefined();
    expect(workerExecArgv(['--expose-gc', '--enable-source-maps'])).toBeUndefined();
  });

  it('drops the main script of -e, -p and --input-type, keeping the rest', () => {
    expect(workerExecArgv(['--expose-gc', '--input-type=module', '-e', 'code()'])).toEqual([
      '--expose-gc',
    ]);
    expect(workerExecArgv(['--input-type', 'module', '--eval', 'x', '--no-warnings'])).toEqual([
      '--no-warnings',
    ]);
    expect(workerExecArgv(['-p', '1+1'])).toEqual([]);
    expect(workerExecArgv(['--eval=1', '--print=2', '-i'])).toEqual([]);
  });
});
