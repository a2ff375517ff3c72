/**
 * One write at a time, in arrival order, with a bound on how long a caller waits for its turn.
 *
 * A store whose destination stops answering keeps its write in progress until the destination
 * answers. Callers that give up meanwhile (the dispatcher stops waiting after its write timeout,
 * then retries or moves on) would otherwise queue one abandoned write after another, each holding
 * its records: the bound turns waiting into a failure the caller counts and retries.
 */
export class WriteTurns {
  #busy = false;
  /** When the turn in progress began (`performance.now()`). */
  #heldSince = 0;
  readonly #waiting: { grant: () => void; timer: NodeJS.Timeout | undefined }[] = [];

  /**
   * Resolve with a `release` function once no other turn is in progress; reject with
   * `onTimeout()` when that takes longer than `timeoutMs`, and at once when the turn in progress
   * has lasted `timeoutMs` already: its destination has stalled, and waiting in line behind it
   * only holds the caller's data longer. `release` must be called exactly once.
   */
  take(timeoutMs: number, onTimeout: () => Error): Promise<() => void> {
    if (!this.#busy) {
      this.#busy = true;
      this.#heldSince = performance.now();
      return Promise.resolve(this.#releaser());
    }
    if (performance.now() - this.#heldSince >= timeoutMs) return Promise.reject(onTimeout());
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(this.#releaser());
        },
        timer: undefined as NodeJS.Timeout | undefined,
      };
      waiter.timer = setTimeout(() => {
        const index = this.#waiting.indexOf(waiter);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(onTimeout());
      }, timeoutMs);
      // Waiting for a turn must not keep an otherwise finished process alive.
      waiter.timer.unref();
      this.#waiting.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next === undefined) {
        this.#busy = false;
        return;
      }
      this.#heldSince = performance.now();
      next.grant();
    };
  }
}
