import type { Store } from '../stores/store.js';
import type { StoreMethod, StoreOwnMethod } from './protocol.js';

/** Calls a method of the store at this slot in the worker; resolves with its answer. */
export type StoreCall = (method: StoreMethod, args: readonly unknown[]) => Promise<unknown>;

/** The methods the privacy operations may call, besides `init`. */
export const REMOTE_METHODS: readonly StoreOwnMethod[] = [
  'purge',
  'read',
  'readConsents',
  'erase',
  'hold',
  'release',
  'holds',
  'disclose',
  'disclosures',
];

/** The methods that answer with an iterator: the worker collects what they yield. */
export const ITERATED: ReadonlySet<StoreMethod> = new Set(['read', 'readConsents']);

/**
 * A store that lives in the worker, as the privacy operations on the serving thread see it: each
 * method is a call to the worker, with the same arguments and answer. It has exactly the methods
 * the store in the worker has, so capabilities stay derived from which methods exist. Records are
 * written in the worker, never through this object.
 */
export class RemoteStore implements Store {
  readonly name: string;
  readonly #call: StoreCall;

  constructor(name: string, call: StoreCall, methods: readonly StoreMethod[]) {
    this.name = name;
    this.#call = call;
    this.expose(methods);
  }

  /** Add the methods the store in the worker turned out to have (a module store, once loaded). */
  expose(methods: readonly StoreMethod[]): void {
    for (const method of methods) {
      if (ITERATED.has(method) || method === 'init' || Object.hasOwn(this, method)) continue;
      Object.defineProperty(this, method, {
        value: (...args: unknown[]) => this.#call(method, args),
        configurable: true,
      });
    }
    for (const method of ITERATED) {
      if (methods.includes(method) && !Object.hasOwn(this, method)) {
        Object.defineProperty(this, method, {
          value: (query: unknown) => this.#read(method, query),
          configurable: true,
        });
      }
    }
  }

  /** Ready the store in the worker (idempotent there, as every store's `init`). */
  async init(): Promise<void> {
    await this.#call('init', []);
  }

  write(): never {
    throw new Error(`${this.name}: records are written in the worker`);
  }

  /** Iterators cannot cross threads: the worker collects the records and sends them at once. */
  async *#read(method: StoreMethod, query: unknown): AsyncGenerator<unknown> {
    const items = (await this.#call(method, [query])) as unknown[];
    yield* items;
  }
}
