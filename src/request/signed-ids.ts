import { newVisitorId, signVisitorId } from './cookies.js';

/** Ids asked for at a time, and how few may be left before more are asked for. */
export const SIGNED_IDS_BATCH = 256;
const LOW_WATER = 64;

/**
 * Fresh visitor ids with their signed cookie values, as {@link signIds} makes them: `[id, value,
 * id, value, ...]`.
 */
export type SignedIds = readonly string[];

/**
 * `count` new visitor ids, each followed by its cookie value: the id signed with `secret` (the
 * first of a rotation) and percent-encoded, exactly as the cookie jar issues one inline.
 */
export function signIds(count: number, secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = newVisitorId();
    out.push(id, encodeURIComponent(signVisitorId(id, secret)));
  }
  return out;
}

/**
 * New visitor ids signed ahead of need, off the serving thread: in worker mode the worker, which
 * holds the secrets, signs them in batches, and a new visitor's request takes one instead of
 * paying an HMAC. Each id is handed out once. When none is left the jar signs inline, and more are
 * asked for before the last one is taken.
 */
export class SignedIdPool {
  readonly #ask: (count: number) => void;
  #list: SignedIds = [];
  #next = 0;
  #asked = false;

  /** @param ask sends a request for `count` more ids; they arrive through {@link add}. */
  constructor(ask: (count: number) => void) {
    this.#ask = ask;
  }

  /** Ids left to hand out. */
  get size(): number {
    return (this.#list.length - this.#next) / 2;
  }

  /** Ask for a batch when few ids are left and none is on its way. */
  fill(): void {
    if (this.#asked || this.#list.length - this.#next >= 2 * LOW_WATER) return;
    this.#asked = true;
    this.#ask(SIGNED_IDS_BATCH);
  }

  /**
   * The next id and its cookie value, or undefined when none is left (more are then on their way).
   */
  take(): readonly [id: string, value: string] | undefined {
    const at = this.#next;
    const list = this.#list;
    this.fill();
    if (at + 1 >= list.length) return undefined;
    this.#next = at + 2;
    return [list[at]!, list[at + 1]!];
  }

  /** Take in a batch the worker signed; ids not yet handed out stay first. */
  add(ids: SignedIds): void {
    this.#asked = false;
    const left = this.#list.slice(this.#next);
    this.#list = left.length === 0 ? ids : left.concat(ids);
    this.#next = 0;
  }

  /** The worker that was asked stopped before it answered: ask the next one when needed. */
  lost(): void {
    this.#asked = false;
  }
}
