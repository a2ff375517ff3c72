import { describeError, MAX_TIMER_MS } from '../shared/store-call.js';

/** How one bounded piece of work ended: its value, or why there is none. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * One deadline shared by the store calls of a privacy request, so that a store that never answers
 * costs the request at most the bound, and the others their answers not at all. Work is never
 * cancelled (a store call cannot be), only no longer waited for; a late rejection is still
 * observed, so that Node never sees it as unhandled.
 */
export class Deadline {
  readonly #timeoutMs: number;
  readonly #end: number;
  readonly #expired: Promise<void>;
  readonly #abandon = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #passed = false;

  /** @param timeoutMs the bound in ms; `Infinity` (or NaN) means none. Negative means 0. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = Number.isNaN(timeoutMs) ? Number.POSITIVE_INFINITY : Math.max(0, timeoutMs);
    this.#end = Date.now() + this.#timeoutMs;
    this.#expired = Number.isFinite(this.#timeoutMs)
      ? new Promise((resolve) => {
          // Referenced: whoever awaits a privacy request keeps the process up until it answers.
          this.#timer = setTimeout(
            () => {
              this.#passed = true;
              this.#abandon.abort();
              resolve();
            },
            Math.min(this.#timeoutMs, MAX_TIMER_MS),
          );
        })
      : new Promise(() => {});
  }

  /** Whether the deadline has passed: work still running should not start anything new. */
  get passed(): boolean {
    return this.#passed;
  }

  /** Aborted when the deadline passes: what still runs then is no longer waited for. */
  get signal(): AbortSignal {
    return this.#abandon.signal;
  }

  /** Milliseconds left; `Infinity` without a bound. */
  remaining(): number {
    return Math.max(0, this.#end - Date.now());
  }

  /** Run `work`, and settle with its value, its error, or the deadline, whichever comes first. */
  run<T>(work: () => Promise<T>): Promise<Outcome<T>> {
    let settled: Promise<Outcome<T>>;
    try {
      settled = work().then(
        (value): Outcome<T> => ({ ok: true, value }),
        (err: unknown): Outcome<T> => ({ ok: false, reason: describeError(err) }),
      );
    } catch (err) {
      settled = Promise.resolve({ ok: false, reason: describeError(err) });
    }
    if (this.#passed) return Promise.resolve(this.#late<T>());
    return Promise.race([settled, this.#expired.then(() => this.#late<T>())]);
  }

  /** Stop the timer once nothing waits on the deadline any more. */
  dispose(): void {
    clearTimeout(this.#timer);
  }

  #late<T>(): Outcome<T> {
    return { ok: false, reason: `no answer within ${this.#timeoutMs} ms` };
  }
}
