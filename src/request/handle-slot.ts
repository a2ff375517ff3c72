import { IncomingMessage } from 'node:http';
import type { PrivacyLogHandle } from './handle.js';

/** What `req.privacyLog` is made from, when something reads it. */
export interface HandleSource {
  handle(): PrivacyLogHandle;
}

/** The source of each Express request's handle, until the request is collected. */
const sources = new WeakMap<object, HandleSource>();

/**
 * `req.privacyLog` of Express requests: an accessor on Express's request prototype, shared by
 * every app of one copy of Express, that makes the handle on first read. Writing a new property on
 * an Express request costs V8 a change of the object's shape, dearer on the serving thread than a
 * weak-map entry and the handle together, and most requests never read their handle.
 */
const descriptor: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: object): PrivacyLogHandle | undefined {
    return sources.get(this)?.handle();
  },
  set(this: object, value: unknown): void {
    // Whatever is assigned is kept on the request itself, as a plain property would be.
    Object.defineProperty(this, 'privacyLog', {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  },
};

/** By request prototype: whether its chain leads to Express's, where the accessor is. */
const lazyFor = new WeakMap<object, boolean>();
let lastProto: object | null = null;
let lastLazy = false;

/**
 * Give `req` its `req.privacyLog`: lazily on an Express request, at once on anything else (a
 * plain Node request, a test's stand-in).
 */
export function attachHandle(req: { privacyLog?: PrivacyLogHandle }, source: HandleSource): void {
  const proto: object | null = Object.getPrototypeOf(req);
  if (proto !== lastProto) {
    lastProto = proto;
    lastLazy = proto !== null && lazyOn(proto);
  }
  // An own property (set by the app or another copy of this library) hides the accessor.
  if (lastLazy && !Object.hasOwn(req, 'privacyLog')) sources.set(req, source);
  else req.privacyLog = source.handle();
}

function lazyOn(proto: object): boolean {
  let lazy = lazyFor.get(proto);
  if (lazy === undefined) {
    const root = expressRequest(proto);
    lazy = root !== undefined && ownAccessor(root);
    lazyFor.set(proto, lazy);
  }
  return lazy;
}

/** Express's request prototype: the one that defines `secure` right above Node's. */
function expressRequest(from: object): object | undefined {
  for (let o: object | null = from; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, 'secure')) {
      return Object.getPrototypeOf(o) === IncomingMessage.prototype ? o : undefined;
    }
  }
  return undefined;
}

/** Put the accessor on Express's request prototype, unless something else has the name there. */
function ownAccessor(root: object): boolean {
  const existing = Object.getOwnPropertyDescriptor(root, 'privacyLog');
  if (existing === undefined) {
    Object.defineProperty(root, 'privacyLog', descriptor);
    return true;
  }
  return existing.get === descriptor.get;
}
