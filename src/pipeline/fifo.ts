/**
 * A FIFO with O(1) amortised `push` and `shift`. `Array.prototype.shift` is O(n), which would make
 * a full 10k queue quadratic to drain; here the consumed prefix is cut off once it is half the array.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** How many items are queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Append at the back. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The front item, without removing it. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Remove and return the front item. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    // Clear the slot so the consumed prefix does not keep records alive until compaction.
    this.items[this.head] = undefined;
    this.head++;
    this.compact();
    return item;
  }

  /** Remove and return up to `count` items from the front, oldest first. */
  take(count: number): T[] {
    const end = Math.min(this.items.length, this.head + count);
    const taken = this.items.slice(this.head, end) as T[];
    this.items.fill(undefined, this.head, end);
    this.head = end;
    this.compact();
    return taken;
  }

  /** Remove and return everything. */
  drain(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return all;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
