import { fromSerialError, type SerialError } from './errors.js';

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

/**
 * Calls made to the other thread and not yet answered. Each gets an id; the answer settles it.
 * {@link failAll} settles every one when the other side is gone, so nothing waits forever.
 */
export class PendingCalls {
  #next = 0;
  readonly #waiting = new Map<number, Waiting>();

  /** Calls still waiting for their answer. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Register a call; `send` posts it with the id given. */
  start(send: (id: number) => void): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      try {
        send(id);
      } catch (err) {
        this.#waiting.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** True while the call `id` waits for its answer. */
  has(id: number): boolean {
    return this.#waiting.has(id);
  }

  resolve(id: number, value: unknown): void {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    waiting?.resolve(value);
  }

  reject(id: number, error: SerialError): void {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    waiting?.reject(fromSerialError(error));
  }

  /** Reject one call with an error of this thread. */
  fail(id: number, err: Error): void {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    waiting?.reject(err);
  }

  /** Reject every call still waiting. */
  failAll(err: Error): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const call of waiting) call.reject(err);
  }
}
