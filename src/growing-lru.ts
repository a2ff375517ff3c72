import { LRUCache } from 'lru-cache';

/** Entries the first table holds; each table after it is eight times larger, up to `max`. */
const FIRST_CAPACITY = 64;
const GROWTH = 8;

/**
 * A least-recently-used cache of at most `max` entries whose storage grows with use. lru-cache
 * allocates room for all `max` entries when it is made (about 0.2 ms per thousand), which made
 * every `privacyLog()` spend milliseconds on caches that an app may never fill: a test suite that
 * builds an app per test paid it each time. This one starts with a small table and, when it is
 * full, copies it in recency order into one eight times larger. Nothing is evicted before `max`
 * entries are held, so what it keeps is exactly what an LRU of `max` entries keeps; once grown to
 * `max` it is a plain lru-cache, with its speed.
 */
export class GrowingLru<K extends {}, V extends {}> {
  readonly #max: number;
  #cache: LRUCache<K, V> | undefined;
  #capacity = 0;

  /** @throws {RangeError} When `max` is not a whole number, 1 or more. */
  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`max must be a whole number, 1 or more: ${max}`);
    }
    this.#max = max;
  }

  /** The value for `key`, which becomes the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    return this.#cache?.get(key);
  }

  /** Whether `key` is held, without changing its recency. */
  has(key: K): boolean {
    return this.#cache?.has(key) ?? false;
  }

  /** Keep `value` for `key` as the most recently used, evicting the least recent at `max`. */
  set(key: K, value: V): void {
    let cache = this.#cache;
    if (
      cache === undefined ||
      (cache.size >= this.#capacity && this.#capacity < this.#max && !cache.has(key))
    ) {
      cache = this.#grow(cache);
    }
    cache.set(key, value);
  }

  /** Entries held now. */
  get size(): number {
    return this.#cache?.size ?? 0;
  }

  #grow(previous: LRUCache<K, V> | undefined): LRUCache<K, V> {
    const capacity = Math.min(
      this.#max,
      previous === undefined ? FIRST_CAPACITY : this.#capacity * GROWTH,
    );
    const next = new LRUCache<K, V>({ max: capacity });
    // Least recent first, so that the last entry copied is the most recent, as it was; peek
    // leaves the old table's order alone while it is read.
    if (previous !== undefined) {
      for (const key of previous.rkeys()) {
        const value = previous.peek(key);
        if (value !== undefined) next.set(key, value);
      }
    }
    this.#cache = next;
    this.#capacity = capacity;
    return next;
  }
}
