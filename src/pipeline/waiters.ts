import { MAX_TIMER_MS } from '../shared/store-call.js';

interface Waiter {
  readonly done: () => boolean;
  readonly resolve: (done: boolean) => void;
}

/**
 * Conditions someone awaits about the records in the pipeline (a flush, a store that has written
 * all it holds), checked each time records leave it. While anyone waits, the process stays up:
 * the pipeline's own timers are unref'd so that an idle logger never holds it.
 */
export class Waiters {
  #waiters: Waiter[] = [];
  #keepAlive: NodeJS.Timeout | undefined;

  /**
   * Resolves `true` once `done()` holds (checked now and at every {@link check}), or `false`
   * after `timeoutMs` (no bound when absent or NaN). A waiter that gives up is forgotten, so that
   * repeated bounded waits on a hung store do not pile up.
   */
  until(done: () => boolean, timeoutMs?: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        done,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      this.#waiters.push(waiter);
      this.#keepAlive ??= setInterval(() => {}, 2 ** 30);
      if (timeoutMs !== undefined && !Number.isNaN(timeoutMs)) {
        timer = setTimeout(
          () => {
            this.#waiters = this.#waiters.filter((other) => other !== waiter);
            this.#release();
            resolve(false);
          },
          Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS),
        );
      }
    });
  }

  /** Resolve the waiters whose condition now holds. */
  check(): void {
    if (this.#waiters.length === 0) return;
    const ready: Waiter[] = [];
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.done()) return true;
      ready.push(waiter);
      return false;
    });
    this.#release();
    for (const waiter of ready) waiter.resolve(true);
  }

  #release(): void {
    if (this.#waiters.length === 0 && this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }
}
