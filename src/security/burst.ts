import { GrowingLru } from '../growing-lru.js';
import { type NormalIp, truncateNetwork } from '../minimize/ip.js';

interface Window {
  start: number;
  count: number;
}

/**
 * Counts events per network (/24 for IPv4, /48 for IPv6) in a fixed window that opens with the
 * network's first event. Memory is bounded: at most `networks` counters, least recently used
 * evicted first, so a flood from many networks forgets the quietest one, never grows the heap.
 * Keys are truncated networks only; a full address is never held here.
 */
export class BurstCounter {
  readonly #windows: GrowingLru<string, Window>;
  readonly #windowMs: number;
  readonly #threshold: number;

  constructor(threshold: number, windowMs: number, networks: number) {
    this.#threshold = threshold;
    this.#windowMs = windowMs;
    this.#windows = new GrowingLru(networks);
  }

  /** Count one event from `ip` at `nowMs`; true once the network reaches the threshold in its window. */
  hit(ip: NormalIp, nowMs: number): boolean {
    const key = truncateNetwork(ip, 24, 48).address;
    let window = this.#windows.get(key);
    // Events may arrive a little out of order (enrichment finishes sooner for one record than
    // for another): an event before the window's start still counts when it is within a window
    // of it; only one far from the window opens a new one.
    if (
      window === undefined ||
      nowMs - window.start >= this.#windowMs ||
      window.start - nowMs >= this.#windowMs
    ) {
      window = { start: nowMs, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    return window.count >= this.#threshold;
  }
}
