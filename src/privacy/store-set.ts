import { type Store, storeName } from '../stores/store.js';

/** A store of the set with the name it goes by in reports (`SqliteStore`, `SqliteStore#2`). */
export interface NamedStore {
  readonly name: string;
  readonly store: Store;
}

/**
 * The stores a logger writes to, as the privacy operations (retention, holds, subject rights) see
 * them. The dispatcher initialises a store only before its first write; an operation may come
 * first (an erasure request right after startup), so each one initialises the store itself, once.
 * After `close()` the stores are closed and no operation may reopen them.
 */
export class StoreSet {
  /** The stores in the order the logger was given them. */
  readonly stores: readonly NamedStore[];
  readonly #ready = new Map<Store, Promise<void>>();
  readonly #running = new Set<Promise<unknown>>();
  #closed = false;

  constructor(stores: readonly Store[]) {
    // Names follow the dispatcher's rule, so that stats and privacy reports agree.
    const seen = new Map<string, number>();
    this.stores = stores.map((store) => {
      const base = storeName(store);
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      return { name: n === 1 ? base : `${base}#${n}`, store };
    });
  }

  /** The stores that have every one of the given methods. */
  with(...methods: (keyof Store)[]): NamedStore[] {
    return this.stores.filter(({ store }) =>
      methods.every((method) => typeof store[method] === 'function'),
    );
  }

  /**
   * Run an operation once the store is initialised. Rejects when the set is closed, or when
   * `init()` fails (a later call tries `init()` again: the cause may pass). Once `abandoned` is
   * aborted (its caller stopped waiting, say at a deadline), {@link close} no longer waits for it:
   * a store call that never returns must not hold up the logger's shutdown.
   */
  async use<T>(
    entry: NamedStore,
    operation: (store: Store) => T | Promise<T>,
    abandoned?: AbortSignal,
  ): Promise<T> {
    if (this.#closed) throw new Error(`the logger is closed; ${entry.name} cannot be used`);
    const run = this.#init(entry.store).then(() => operation(entry.store));
    const forget = (): void => {
      this.#running.delete(run);
    };
    if (abandoned?.aborted !== true) this.#running.add(run);
    abandoned?.addEventListener('abort', forget, { once: true });
    try {
      return await run;
    } finally {
      forget();
      abandoned?.removeEventListener('abort', forget);
    }
  }

  /**
   * Refuse new operations and wait for the running ones to settle, at most `timeoutMs`; called by
   * the logger before it closes the stores, so that no operation finds its store closed midway.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    if (this.#running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, timeoutMs));
    });
    const settled = Promise.allSettled([...this.#running]).then(() => undefined);
    try {
      await Promise.race([settled, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #init(store: Store): Promise<void> {
    if (typeof store.init !== 'function') return Promise.resolve();
    let ready = this.#ready.get(store);
    if (ready === undefined) {
      // Stores make init() idempotent: the dispatcher may call it too, before its first write.
      ready = Promise.resolve()
        .then(() => store.init?.())
        .then(() => undefined);
      this.#ready.set(store, ready);
      ready.catch(() => this.#ready.delete(store));
    }
    return ready;
  }
}

/** An erase result in the full form: a store that only returns a count reports no held records. */
export function eraseCounts(result: unknown): { erased: number; held: number } {
  if (typeof result === 'number') return { erased: result, held: 0 };
  if (result !== null && typeof result === 'object') {
    const { erased, held } = result as { erased?: unknown; held?: unknown };
    return {
      erased: typeof erased === 'number' ? erased : 0,
      held: typeof held === 'number' ? held : 0,
    };
  }
  return { erased: 0, held: 0 };
}
