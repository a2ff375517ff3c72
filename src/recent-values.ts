/**
 * A bounded map that keeps what was used recently, in two generations: new entries go to the
 * young one; when it holds half the bound it becomes the old one and the previous old one is let
 * go; an entry found in the old generation moves back to the young one. So at most `max` entries
 * are held, and an entry used again within the last `max / 2` insertions is never lost.
 *
 * For caches consulted once per request or record, keyed by what anyone may send (a cookie value,
 * a User-Agent), whose answers need no exact recency: a `Map.get` costs a fraction of an LRU's
 * bookkeeping (`GrowingLru` is the exact one), and the bound holds whatever is sent.
 */
export class RecentValues<K, V> {
  readonly #half: number;
  #young = new Map<K, V>();
  #old = new Map<K, V>();

  /** @throws {RangeError} When `max` is not a whole number, 2 or more. */
  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 2) {
      throw new RangeError(`max must be a whole number, 2 or more: ${max}`);
    }
    this.#half = Math.floor(max / 2);
  }

  /** Entries held, in both generations. */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The value for `key`, undefined when absent; a value found is kept as recently used. */
  get(key: K): V | undefined {
    const value = this.#young.get(key);
    if (value !== undefined) return value;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.set(key, old);
    }
    return old;
  }

  /** Keep `value` for `key` as recently used. */
  set(key: K, value: V): void {
    this.#young.set(key, value);
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }
}
