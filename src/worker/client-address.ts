import { createRequire } from 'node:module';

/**
 * The client address, resolved off the serving thread. Express's `req.ip` parses the socket
 * address and every `X-Forwarded-For` hop under the app's `trust proxy` setting on each read,
 * which costs the serving thread a few microseconds per request. In worker mode the serving thread
 * only copies the socket address and the header, and names the setting by an index; the worker
 * compiles the setting once, exactly as Express does (`compileTrust` over proxy-addr), and resolves
 * the address there. A setting that is a function cannot cross threads: then `req.ip` is read on
 * the serving thread, as before.
 */

/** An Express `trust proxy` setting that is a value: what `app.set('trust proxy', ...)` accepts. */
export type TrustSetting = boolean | number | string | readonly string[];

/** What the serving thread reads of a request to name its trust setting. */
interface AppRequest {
  readonly app?: { readonly settings?: Readonly<Record<string, unknown>> } | undefined;
}

const UNSEEN = Symbol('unseen');

/**
 * Names each app's `trust proxy` setting by a small index into {@link table}, so that a request
 * carries a number rather than the setting. Express keeps the compiled setting as `trust proxy fn`
 * and replaces it whenever the setting changes, so comparing that function with the last one seen
 * is all a request costs.
 */
export class TrustSettings {
  /** The settings seen so far; the index is what requests carry. */
  readonly table: TrustSetting[] = [];
  readonly #byKey = new Map<string, number>();
  #lastFn: unknown = UNSEEN;
  #lastIndex = -1;

  /**
   * The index of the setting that governs this request, or -1 when the address must be read from
   * `req.ip` here: the setting is a function, or this is not an Express request.
   */
  indexOf(req: AppRequest): number {
    const settings = req.app?.settings;
    const fn = settings?.['trust proxy fn'];
    if (fn === this.#lastFn) return this.#lastIndex;
    this.#lastFn = fn;
    this.#lastIndex = typeof fn === 'function' ? this.#index(settings?.['trust proxy']) : -1;
    return this.#lastIndex;
  }

  #index(value: unknown): number {
    const setting = asSetting(value);
    if (setting === undefined) return -1;
    const key = JSON.stringify(setting);
    let index = this.#byKey.get(key);
    if (index === undefined) {
      index = this.table.length;
      this.table.push(setting);
      this.#byKey.set(key, index);
    }
    return index;
  }
}

function asSetting(value: unknown): TrustSetting | undefined {
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return [...value];
  // Express compiles a missing setting like `false`; anything else (a function) stays here.
  return value === undefined || value === null ? false : undefined;
}

/** A compiled trust setting: is the hop at this address and position a trusted proxy? */
export type TrustFn = (address: string, hop: number) => boolean;

type ProxyAddr = ((
  req: { socket: { remoteAddress: string | undefined }; headers: Record<string, unknown> },
  trust: TrustFn,
) => string) & { compile(value: readonly string[]): TrustFn };

let proxyAddr: ProxyAddr | undefined;

/**
 * proxy-addr, the module Express's `req.ip` uses, loaded from Express's own dependencies so that
 * both resolve addresses with the same code.
 */
function loadProxyAddr(): ProxyAddr {
  if (proxyAddr === undefined) {
    const fromHere = createRequire(import.meta.url);
    const express = fromHere.resolve('express');
    proxyAddr = createRequire(express)('proxy-addr') as ProxyAddr;
  }
  return proxyAddr;
}

/** True when the worker can resolve addresses the way Express does (proxy-addr is reachable). */
export function canResolveAddresses(): boolean {
  try {
    const fromHere = createRequire(import.meta.url);
    createRequire(fromHere.resolve('express')).resolve('proxy-addr');
    return true;
  } catch {
    return false;
  }
}

/**
 * The compiled form of a setting that trusts no hop (`false`, the default, `0`, an empty list):
 * the client address is then the socket address, whatever `X-Forwarded-For` says, so
 * {@link resolveAddress} answers without parsing the header.
 */
const TRUST_NONE: TrustFn = () => false;

/** Express's `compileTrust`, for a setting that is a value. */
export function compileTrust(setting: TrustSetting): TrustFn {
  if (setting === true) return () => true;
  if (
    setting === false ||
    (typeof setting === 'number' && !(setting > 0)) ||
    (Array.isArray(setting) && setting.length === 0)
  ) {
    return TRUST_NONE;
  }
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  const list =
    typeof setting === 'string' ? setting.split(',').map((v) => v.trim()) : setting || [];
  return lastVerdict(loadProxyAddr().compile(list));
}

/**
 * A list's trust function with its last answer remembered. Behind a proxy nearly every request
 * asks about the same address (the proxy's), and proxy-addr parses it at every call, twice (a
 * validity check, then the parse): in the gdpr worker that was most of the address's cost. The
 * answer to a list depends on the address alone, not the hop. One address is kept, not a table:
 * no list of clients' addresses builds up here.
 */
function lastVerdict(trust: TrustFn): TrustFn {
  let last: string | undefined;
  let verdict = false;
  return (address, hop) => {
    if (address === last && last !== undefined) return verdict;
    // Set only once the answer is in: a throw leaves nothing remembered.
    verdict = trust(address, hop);
    last = address;
    return verdict;
  };
}

/**
 * The client address as Express's `req.ip` gives it for a request from `remoteAddress` with this
 * `X-Forwarded-For` header under `trust`; undefined when it cannot be told (no socket address).
 */
export function resolveAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | undefined,
  trust: TrustFn,
): string | undefined {
  if (trust === TRUST_NONE) return typeof remoteAddress === 'string' ? remoteAddress : undefined;
  try {
    const address = loadProxyAddr()(
      { socket: { remoteAddress }, headers: { 'x-forwarded-for': forwardedFor } },
      trust,
    );
    return typeof address === 'string' ? address : undefined;
  } catch {
    return undefined;
  }
}
