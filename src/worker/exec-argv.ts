/**
 * The command-line options a worker thread starts with: the process's own, as Node gives them by
 * default, less those that describe the main script rather than how Node runs. An app started
 * with `node --input-type=module -e '…'` would otherwise start a worker that fails at once
 * (`ERR_INPUT_TYPE_NOT_ALLOWED`), and every record would be dropped.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
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
  return kept;
}

/** Options whose next argument is the main script's source. */
const WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '-pe']);
