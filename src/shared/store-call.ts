// Calling a store so that nothing escapes, shared by the delivery (pipeline/) and the operations on
// stored records (privacy/, reports/): both import it from here, and neither imports the other.
/** Which store call failed, for the error code in the diagnostic log. */
export type StoreOperation = 'init' | 'write' | 'close';

/** One failed store call: a synchronous throw, a rejection, or no answer within the timeout. */
export interface Failure {
  readonly operation: StoreOperation;
  readonly err: unknown;
  readonly timedOut: boolean;
}

/** Node's timers overflow above 2^31 - 1 ms and then fire at once; longer waits are capped there. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Call a store method so that nothing can escape: a synchronous throw, a rejection, or a promise that
 * has not settled after `timeoutMs` all become a {@link Failure}. The returned promise never rejects,
 * and a late rejection of a timed-out call is still observed, so Node never sees it as unhandled.
 * Resolves `undefined` on success.
 */
export function callStore(
  operation: StoreOperation,
  call: () => unknown,
  timeoutMs: number,
): Promise<Failure | undefined> {
  let result: unknown;
  try {
    result = call();
  } catch (err) {
    return Promise.resolve({ operation, err, timedOut: false });
  }
  if (!isThenable(result)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => resolve({ operation, err: timeoutError(operation, timeoutMs), timedOut: true }),
      Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS),
    );
    // A hung store must not keep an otherwise finished process alive.
    timer.unref();
    // Promise.resolve adopts any thenable and turns a throwing `then` into a rejection.
    Promise.resolve(result).then(
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
      (err: unknown) => {
        clearTimeout(timer);
        resolve({ operation, err, timedOut: false });
      },
    );
  });
}

function isThenable(value: unknown): boolean {
  try {
    return (
      (typeof value === 'object' || typeof value === 'function') &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function'
    );
  } catch {
    // A hostile getter: let Promise.resolve turn it into a rejection.
    return true;
  }
}

function timeoutError(operation: StoreOperation, timeoutMs: number): Error {
  return Object.assign(new Error(`store ${operation} did not settle within ${timeoutMs} ms`), {
    code: 'ERR_STORE_TIMEOUT',
  });
}

/**
 * Delay in milliseconds before retry number `attempt` (1 for the first retry): exponential backoff
 * with full jitter, a uniform draw in `[0, min(maxMs, baseMs * 2^(attempt - 1)))`. Full jitter keeps
 * several processes that lost the same database from retrying in lockstep.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52));
  return Math.floor(random() * ceiling);
}

/** A short text for `lastError`, safe against values whose `toString` throws. */
export function describeError(err: unknown): string {
  try {
    return err instanceof Error ? err.message || err.name : String(err);
  } catch {
    return 'unprintable error';
  }
}

/** The never-throwing report lives beside the logger type; re-exported for the pipeline's modules. */
export { report } from '../logger.js';
