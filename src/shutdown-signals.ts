import type { DiagnosticLogger } from './logger.js';
import { report } from './shared/store-call.js';

/** The signals `handleSignals` can react to. */
export type ShutdownSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

/** What the resolved `handleSignals` option says. */
export interface SignalSettings {
  readonly signals: readonly ShutdownSignal[];
  /** Deadline for writing what is buffered, in ms; the rest is dropped and counted as `shutdown`. */
  readonly timeoutMs: number;
}

/**
 * Close the logger when the process is asked to stop, then let it stop.
 *
 * On the first of `signals`, `close(timeoutMs)` runs: buffered records are written within the
 * deadline, the rest counted. Then these handlers are removed and, when no other listener for
 * that signal remains, the signal is raised again, so that the process ends as it would have
 * without us (killed by the signal, exit status 128 + its number). When the app has its own
 * listener, the app decides when to exit: it usually closes its HTTP server and returns. A
 * second signal while closing stops waiting and is raised at once.
 *
 * Returns a function that removes the handlers (called by `close()`, so that a closed logger
 * never delays an exit).
 */
export function handleShutdownSignals(
  settings: SignalSettings,
  close: (timeoutMs: number) => Promise<void>,
  logger: DiagnosticLogger,
): () => void {
  let closing = false;
  let stopped = false;
  const listeners = new Map<ShutdownSignal, () => void>();
  const uninstall = (): void => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
    listeners.clear();
  };
  const stop = (signal: ShutdownSignal): void => {
    uninstall();
    if (stopped) return;
    stopped = true;
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  for (const signal of new Set(settings.signals)) {
    const listener = (): void => {
      if (closing) {
        stop(signal);
        return;
      }
      closing = true;
      close(settings.timeoutMs)
        .catch((err: unknown) =>
          report(logger, 'error', { err, code: 'ERR_SHUTDOWN' }, `closing on ${signal} failed`),
        )
        .finally(() => stop(signal));
    };
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
  return uninstall;
}
