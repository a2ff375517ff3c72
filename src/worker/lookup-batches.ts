import type { CompanyResolver } from '../enrich/company.js';
import type { ReverseLookup } from '../enrich/domain.js';
import type { PendingCalls } from './calls.js';
import { type SerialError, toSerialError } from './errors.js';
import type { FromWorker, ToWorker } from './protocol.js';

/**
 * The app's own lookup functions (reverse DNS, company), which cannot cross to the worker, called
 * on the serving thread in batches. One message per lookup each way cost the serving thread more
 * than the lookups themselves: with the benchmark's classic policy and a lookup function of the
 * app's, 692 thousand instructions per request against 654 with the lookups made in the worker
 * (callgrind, `node bench/instructions.js`), and every message wakes the receiving thread.
 * Lookups started while the worker handles one batch of requests now cross as one message, and
 * the answers that arrive within one turn of the serving thread's event loop go back as one.
 */

/** What crosses: `[id, kind, address]` per lookup, flat. */
export type LookupItems = (number | LookupKind | string)[];
/** What comes back: `[id, 1, value]` or `[id, 0, error]` per lookup, flat. */
export type AnswerItems = unknown[];
export type LookupKind = 'reverse' | 'company';

/**
 * How long the worker waits for the answer to a lookup before it gives the call up. The
 * enrichment's own deadline (`enrich.timeoutMs`) has long passed by then; until this one, a late
 * answer still fills the caches. Without it, an app function that never settles would leave a
 * waiting call behind for every lookup, for as long as the worker runs.
 */
export const GIVE_UP_MS = 30_000;
/** The least time between two sweeps of the calls given up. */
const SWEEP_MS = 1000;

/** The worker's side: the lookups of a turn, posted together at its end. */
export class LookupRelay {
  readonly #calls: PendingCalls;
  readonly #post: (message: FromWorker) => void;
  readonly #giveUpMs: number;
  #items: LookupItems = [];
  #scheduled = false;
  /** Ids of the calls made, with when each is given up, oldest first (one deadline for all). */
  #deadlines: number[] = [];
  #sweeping: NodeJS.Timeout | undefined;

  constructor(calls: PendingCalls, post: (message: FromWorker) => void, giveUpMs = GIVE_UP_MS) {
    this.#calls = calls;
    this.#post = post;
    this.#giveUpMs = giveUpMs;
  }

  /** The app's reverse-DNS function, called on the serving thread. */
  readonly reverse: ReverseLookup = async (address) =>
    namesOf(await this.#lookup('reverse', address));

  /** The app's company resolver, called on the serving thread. */
  readonly company: CompanyResolver = async (address) =>
    companyOf(await this.#lookup('company', address)) ?? undefined;

  #lookup(kind: LookupKind, address: string): Promise<unknown> {
    const answer = this.#calls.start((id) => {
      this.#items.push(id, kind, address);
      this.#deadlines.push(id, Date.now() + this.#giveUpMs);
    });
    this.#sweeping ??= this.#sweepAt(this.#giveUpMs);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After the batch being handled: its lookups all start within one task.
      queueMicrotask(this.#send);
    }
    return answer;
  }

  readonly #send = (): void => {
    this.#scheduled = false;
    const items = this.#items;
    this.#items = [];
    try {
      this.#post({ t: 'lookups', items });
    } catch (err) {
      // Addresses and ids always clone; a closed port leaves these to fail, not to wait forever.
      const error = err instanceof Error ? err : new Error(String(err));
      for (let i = 0; i < items.length; i += 3) this.#calls.fail(items[i] as number, error);
    }
  };

  #sweepAt(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(this.#sweep, delayMs);
    timer.unref();
    return timer;
  }

  /** Give up the calls past their deadline; a call answered already is not touched. */
  readonly #sweep = (): void => {
    const now = Date.now();
    const list = this.#deadlines;
    let i = 0;
    // Nearly every call was answered long ago: an Error (whose stack V8 walks and records) is made
    // only for those still waiting, and one serves them all.
    let error: Error | undefined;
    for (; i < list.length && list[i + 1]! <= now; i += 2) {
      const id = list[i]!;
      if (!this.#calls.has(id)) continue;
      error ??= new Error('the lookup on the serving thread did not answer');
      this.#calls.fail(id, error);
    }
    this.#deadlines = list.slice(i);
    // At most a sweep a second: under steady lookups the next deadline is always close.
    this.#sweeping =
      this.#deadlines.length === 0
        ? undefined
        : this.#sweepAt(Math.max(this.#deadlines[1]! - now, SWEEP_MS));
  };
}

/** Settle the worker's lookups from an answers message. */
export function settleLookups(calls: PendingCalls, items: AnswerItems): void {
  for (let i = 0; i + 2 < items.length; i += 3) {
    const id = items[i] as number;
    if (items[i + 1] === 1) calls.resolve(id, items[i + 2]);
    else calls.reject(id, items[i + 2] as SerialError);
  }
}

/** The app's lookup functions, as the serving thread holds them. */
export interface AppLookups {
  readonly reverse: ReverseLookup | undefined;
  readonly company: CompanyResolver | undefined;
}

/**
 * The serving thread's side, one per worker: runs each lookup of a message and posts the answers
 * that settle within one event-loop turn as one message.
 */
export class LookupAnswers {
  readonly #lookups: AppLookups;
  readonly #post: (message: ToWorker) => void;
  #items: AnswerItems = [];
  #scheduled = false;

  /** `post` must not throw (a gone worker is the worker's own timeouts' to settle). */
  constructor(lookups: AppLookups, post: (message: ToWorker) => void) {
    this.#lookups = lookups;
    this.#post = post;
  }

  /** Start the lookups of one message. */
  serve(items: LookupItems): void {
    for (let i = 0; i + 2 < items.length; i += 3) {
      const id = items[i] as number;
      const kind = items[i + 1] as LookupKind;
      const lookup = kind === 'reverse' ? this.#lookups.reverse : this.#lookups.company;
      const address = items[i + 2] as string;
      // A throwing function rejects like a failing one: neither reaches the app.
      Promise.resolve()
        .then(() => lookup?.(address))
        .then(
          // Only what the worker keeps crosses: strings, which always clone.
          (value) => this.#answer(id, 1, kind === 'reverse' ? namesOf(value) : companyOf(value)),
          // A failed reverse lookup (no PTR record, mostly) only means "no domain" to the worker,
          // so its stack is not read: formatting one is most of what such an error costs here.
          (err: unknown) => this.#answer(id, 0, toSerialError(err, kind !== 'reverse')),
        );
    }
  }

  #answer(id: number, ok: 0 | 1, value: unknown): void {
    this.#items.push(id, ok, value);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#send);
  }

  readonly #send = (): void => {
    this.#scheduled = false;
    const items = this.#items;
    this.#items = [];
    this.#post({ t: 'answers', items });
  };
}

function namesOf(answer: unknown): string[] {
  return Array.isArray(answer) ? answer.filter((n): n is string => typeof n === 'string') : [];
}

function companyOf(answer: unknown): string | null {
  return typeof answer === 'string' ? answer : null;
}
