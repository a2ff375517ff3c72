import { createHmac, randomBytes } from 'node:crypto';

/** Options of {@link RotatingKey}. */
export interface RotatingKeyOptions {
  /**
   * Length of a key's life in milliseconds, e.g. 86 400 000 for a daily key. Periods are aligned
   * to the Unix epoch, so a daily key turns at 00:00 UTC. Must be a positive whole number; the
   * policy check keeps it at most 48 hours.
   */
  periodMs: number;
  /** The clock, in milliseconds since the Unix epoch. Default: `Date.now`. */
  now?: () => number;
  /**
   * The key source, for tests that want to hold the key buffer and see it zeroed.
   * Default: `crypto.randomBytes`. It must return a fresh buffer of `size` bytes.
   */
  randomBytes?: (size: number) => Buffer;
}

/** Key length in bytes: the HMAC-SHA-256 block is 64 bytes, its output 32; 32 is the usual choice. */
const KEY_BYTES = 32;
/** Bytes of the HMAC output kept; see {@link RotatingKey.hmac}. */
const OUTPUT_BYTES = 16;
/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A random HMAC key that is replaced at each period boundary and whose old value is destroyed:
 * the pseudonyms it makes (a visitor's daily hash, a hashed IP) can be linked within a period
 * and never across periods, and once the key is gone nobody, including the operator, can
 * recompute them.
 *
 * The key lives only in this process's memory and is never written anywhere. Two processes (a
 * cluster, several instances sharing one store) hold different keys and so give different
 * pseudonyms for the same input: a pseudonym links records of one process within one period only,
 * and distinct counts over a shared store can count one visitor once per process. That is the
 * price of destroying every key within 48 hours: a key shared between processes would have to be
 * stored somewhere, and then its destruction could no longer be shown.
 *
 * Rotation happens on use, and also by an unref'd timer at the period's end, so that an idle
 * server does not keep an expired key in memory past the deadline. Call {@link close} to stop the
 * timer and destroy the key.
 */
export class RotatingKey {
  readonly #periodMs: number;
  readonly #now: () => number;
  readonly #random: (size: number) => Buffer;
  #key: Buffer | undefined;
  #period = Number.NaN;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** @throws {RangeError} When `periodMs` is not a positive whole number. */
  constructor({ periodMs, now = Date.now, randomBytes: random = randomBytes }: RotatingKeyOptions) {
    if (!Number.isSafeInteger(periodMs) || periodMs <= 0) {
      throw new RangeError(`periodMs must be a positive whole number of milliseconds: ${periodMs}`);
    }
    this.#periodMs = periodMs;
    this.#now = now;
    this.#random = random;
  }

  /**
   * The keyed hash of `text`: HMAC-SHA-256 with the current period's key, its first 128 bits as
   * base64url (22 characters, no padding).
   *
   * Truncating an HMAC is standard (RFC 2104 section 5, NIST SP 800-107): the output stays
   * unpredictable without the key, and 128 bits make an accidental collision between two inputs
   * within a period negligible (about 2^-64 even after 2^32 distinct inputs), while halving the
   * stored size. Guessing inputs does not help: without the key no guess can be checked.
   *
   * @throws {Error} After {@link close}.
   */
  hmac(text: string): string {
    const key = this.#current();
    return createHmac('sha256', key)
      .update(text)
      .digest()
      .subarray(0, OUTPUT_BYTES)
      .toString('base64url');
  }

  /**
   * Runs `use` with the current period's 32 key bytes, for keyed functions other than the HMAC
   * (the prefix-preserving pseudonym). `use` must not keep the buffer: it is zero-filled when the
   * period ends.
   *
   * @throws {Error} After {@link close}.
   */
  withKey<T>(use: (key: Buffer) => T): T {
    return use(this.#current());
  }

  /** The current period's index, `Math.floor(now / periodMs)`: it names the key in use. */
  keyId(): number {
    return Math.floor(this.#now() / this.#periodMs);
  }

  /**
   * Whether the key of period `periodIndex` is still held. After the period ends (and the next
   * use or the timer has run) this is false for good: the key was zero-filled and dropped.
   */
  hasKeyFor(periodIndex: number): boolean {
    return this.#key !== undefined && this.#period === periodIndex;
  }

  /** Destroys the key and stops the timer; later calls to {@link hmac} throw. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#destroy();
  }

  #current(): Buffer {
    if (this.#closed) throw new Error('RotatingKey is closed');
    const period = this.keyId();
    if (this.#key !== undefined && this.#period === period) return this.#key;
    this.#destroy();
    const key = this.#random(KEY_BYTES);
    if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
      throw new Error(`the key source must return ${KEY_BYTES} bytes`);
    }
    this.#key = key;
    this.#period = period;
    this.#schedule();
    return key;
  }

  #destroy(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#key?.fill(0);
    this.#key = undefined;
    this.#period = Number.NaN;
  }

  #schedule(): void {
    const end = (this.#period + 1) * this.#periodMs;
    const delay = Math.min(Math.max(end - this.#now(), 1), MAX_TIMER_MS);
    this.#timer = setTimeout(() => this.#expire(), delay);
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    // The timer may fire a little early; then wait for the real boundary.
    if (this.keyId() === this.#period) this.#schedule();
    else this.#destroy();
  }
}
