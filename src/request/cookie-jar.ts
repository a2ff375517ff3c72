import type { IncomingMessage, ServerResponse } from 'node:http';
import { GrowingLru } from '../growing-lru.js';
import type { CompiledPolicy } from '../policy/compile.js';
import {
  type Choice,
  cookieName,
  decodeCookieValue,
  dropPendingCookies,
  findCookies,
  newVisitorId,
  putCookie,
  readChoice,
  serializeCookie,
  signVisitorId,
  verifyVisitorId,
} from './cookies.js';
import type { Decision } from './decide.js';

/** What the request's cookies say, as far as this library is concerned. */
export interface CookieState {
  /** A valid, signed visitor id, if the request carried one. */
  visitorId: string | undefined;
  /** Names of analytics cookies present, valid or not (to expire them when they must go). */
  visitorNames: readonly string[];
  choice: Choice | undefined;
}

const NONE: CookieState = Object.freeze({
  visitorId: undefined,
  visitorNames: [],
  choice: undefined,
});

/**
 * Signed visitor cookies already verified, by their exact raw value: a returning visitor sends the
 * same value with every request, and a hit costs a map lookup where a check costs an HMAC. Only
 * values that verified are kept, so no one can fill it with forgeries to make one pass.
 */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Whether the request came over HTTPS, as Express's `req.secure` says (under `trust proxy`). A
 * function, or an object whose `secure` is read only when asked, so that it is computed only when
 * a cookie must be named, and at most once per request: Express works it out anew, with address
 * parsing, on every read.
 */
export type SecureFlag = boolean | (() => boolean) | { readonly secure: boolean };

const isSecure = (flag: SecureFlag): boolean =>
  typeof flag === 'boolean' ? flag : typeof flag === 'function' ? flag() : flag.secure;

/** `req.secure` of one request, read from Express once and only if asked. */
export function secureOnce(req: { secure?: boolean }): () => boolean {
  let secure: boolean | undefined;
  return () => {
    secure ??= req.secure === true;
    return secure;
  };
}

/**
 * Reads and writes the analytics cookie and the choice cookie for one policy. A request whose
 * Cookie header does not mention either name costs two substring searches.
 */
export class CookieJar {
  readonly #compiled: CompiledPolicy;
  readonly #secrets: readonly string[];
  readonly #visitorBase: string;
  readonly #choiceBase: string;
  /** The cookie names looked for, in this order: visitor, its `__Host-` form, choice, its form. */
  readonly #names: readonly string[];
  /** `visitorNames` of every combination of the two visitor names present, built once. */
  readonly #present: readonly (readonly string[])[];
  /** Raw values of {@link #names} for the request being read; reused, as reading is synchronous. */
  readonly #values: (string | undefined)[] = [];
  readonly #verified = new GrowingLru<string, string>(VERIFIED_CACHE_SIZE);
  /** `Set-Cookie` lines that expire a cookie: the same text every time, for a name and scheme. */
  readonly #expiries = new Map<string, string>();

  constructor(compiled: CompiledPolicy, secrets: readonly string[]) {
    this.#compiled = compiled;
    this.#secrets = secrets;
    this.#visitorBase = compiled.policy.cookie.name;
    this.#choiceBase = compiled.policy.choices.cookieName;
    const visitor = this.#visitorBase;
    const hostVisitor = cookieName(visitor, true);
    this.#names = [visitor, hostVisitor, this.#choiceBase, cookieName(this.#choiceBase, true)];
    this.#present = [[], [visitor], [hostVisitor], [visitor, hostVisitor]].map((names) =>
      Object.freeze(names),
    );
  }

  /**
   * @param secure Defaults to `req.secure`; the middleware passes its request tracker (or
   *   {@link secureOnce} does the same) so that Express computes it once for this and {@link apply}.
   */
  read(
    req: IncomingMessage & { secure?: boolean },
    secure: SecureFlag = () => req.secure === true,
  ): CookieState {
    const header = req.headers.cookie;
    if (header === undefined) return NONE;
    const hasVisitor = header.includes(this.#visitorBase);
    const hasChoice = header.includes(this.#choiceBase);
    if (!hasVisitor && !hasChoice) return NONE;
    const values = this.#values;
    findCookies(header, this.#names, values);
    const https = isSecure(secure);
    let names = this.#present[0]!;
    let visitorId: string | undefined;
    if (hasVisitor) {
      names = this.#present[(values[0] === undefined ? 0 : 1) + (values[1] === undefined ? 0 : 2)]!;
      // Only the name that fits this request's security counts; the other is expired if present.
      visitorId = this.#verify(values[https ? 1 : 0]);
    }
    const rawChoice = hasChoice ? values[https ? 3 : 2] : undefined;
    const choice = rawChoice === undefined ? undefined : readChoice(decodeCookieValue(rawChoice));
    // No cookie value (a visitor id among them) outlives the request in the scratch array.
    values.fill(undefined);
    return { visitorId, visitorNames: names, choice };
  }

  /**
   * Make the response's cookies agree with the decision: keep a valid id untouched (K3: no new
   * expiry), issue one where analytics is allowed and none is valid, expire any that must go.
   * Returns the visitor id this request may record.
   */
  apply(
    res: ServerResponse,
    secureFlag: SecureFlag,
    state: CookieState,
    decision: Decision,
  ): string | undefined {
    if (this.#compiled.visitor === 'cookie' && decision.analytics) {
      const secure = isSecure(secureFlag);
      const name = this.#names[secure ? 1 : 0]!;
      for (const other of state.visitorNames) if (other !== name) this.expire(res, other, secure);
      if (state.visitorId !== undefined) return state.visitorId;
      const id = newVisitorId();
      this.#set(
        res,
        name,
        signVisitorId(id, this.#secrets[0]!),
        this.#compiled.cookieMaxAgeMs,
        secure,
      );
      return id;
    }
    // A privacy route may revise an earlier decision of this same response: no id may leave.
    if (!res.headersSent) dropPendingCookies(res, this.#present[3]!);
    if (state.visitorNames.length > 0) {
      const secure = isSecure(secureFlag);
      for (const name of state.visitorNames) this.expire(res, name, secure);
    }
    return undefined;
  }

  /** Remember a choice; the value is the same for everyone who makes it (S7). */
  setChoice(res: ServerResponse, secure: boolean, choice: Choice): void {
    this.#set(res, this.#names[secure ? 3 : 2]!, choice, this.#compiled.choiceMaxAgeMs, secure);
  }

  expire(res: ServerResponse, name: string, secure: boolean): void {
    // A __Host- cookie can only be replaced by a Secure one, whatever this request's scheme.
    const https = secure || name.startsWith('__Host-');
    const key = `${https ? 's' : 'p'}${name}`;
    let text = this.#expiries.get(key);
    if (text === undefined) {
      text = serializeCookie({ name, value: '', maxAgeMs: 0, secure: https });
      // Names come from the policy (two per cookie), so this stays tiny.
      this.#expiries.set(key, text);
    }
    putCookie(res, name, text);
  }

  /**
   * The id in a signed visitor cookie (its raw, percent-encoded value), or undefined when it does
   * not verify (see verifyVisitorId).
   */
  #verify(raw: string | undefined): string | undefined {
    if (raw === undefined) return undefined;
    const known = this.#verified.get(raw);
    if (known !== undefined) return known;
    const id = verifyVisitorId(decodeCookieValue(raw), this.#secrets);
    if (id !== undefined) this.#verified.set(raw, id);
    return id;
  }

  #set(res: ServerResponse, name: string, value: string, maxAgeMs: number, secure: boolean): void {
    putCookie(res, name, serializeCookie({ name, value, maxAgeMs, secure }));
  }
}
