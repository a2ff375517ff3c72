import type { Store } from '../stores/store.js';

/**
 * Wrap a store so that a failed call (a throw or a rejection) is repeated, up to `attempts` times
 * in all: what the dispatcher does for writes, applied to `write`, `read`, `purge` and `erase`, so
 * that a store whose calls fail now and then can run the contract. Only correct for a store whose
 * failed calls are safe to repeat. Methods the store lacks stay absent, so its capabilities are the
 * same; `init`, `close` and holds are left out.
 */
export function withRetries(store: Store, attempts: number): Store {
  const again = async <T>(call: () => T | Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
    }
  };
  const wrapped: Store = {
    name: `retrying ${store.name ?? 'store'}`,
    write: (records) => again(() => store.write(records)),
  };
  if (store.read) {
    const read = store.read.bind(store);
    wrapped.read = async function* (query) {
      yield* await again(() => read(query));
    };
  }
  if (store.purge) {
    const purge = store.purge.bind(store);
    wrapped.purge = (now) => again(() => purge(now));
  }
  if (store.erase) {
    const erase = store.erase.bind(store);
    wrapped.erase = (subject) => again(() => erase(subject));
  }
  return wrapped;
}
