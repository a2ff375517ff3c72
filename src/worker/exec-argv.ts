/**
 * The command-line options to start a worker thread with, or undefined to let it inherit the
 * process's own, as Node does by default. Only when the process's options describe its main
 * script (`node --input-type=module -e '…'`) are they given without those: inherited, they make
 * the worker fail at once (`ERR_INPUT_TYPE_NOT_ALLOWED`) and every record would be dropped.
 * Inheriting is kept otherwise because Node refuses V8 options such as `--expose-gc` when they are
 * passed explicitly (`ERR_WORKER_INVALID_EXEC_ARGV`), though it accepts them inherited.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] | undefined {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg === '--input-type' || WITH_VALUE.has(arg)) {
      i++; // and its value
      continue;
    }
    if (
      arg.startsWith('--input-type=') ||
      arg.startsWith('--eval=') ||
      arg.startsWith('--print=')
    ) {
      continue;
    }
    if (arg === '-i' || arg === '--interactive') continue;
    kept.push(arg);
  }
  return kept.length === execArgv.length ? undefined : kept;
}

/** Options whose next argument is the main script's source. */
const WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '-pe']);
