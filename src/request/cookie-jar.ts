import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../policy/compile.js';
import {
  type Choice,
  cookieName,
  dropPendingCookies,
  newVisitorId,
  parseCookies,
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
 * Reads and writes the analytics cookie and the choice cookie for one policy. A request whose
 * Cookie header does not mention either name costs two substring searches.
 */
export class CookieJar {
  readonly #compiled: CompiledPolicy;
  readonly #secrets: readonly string[];
  readonly #visitorBase: string;
  readonly #choiceBase: string;

  constructor(compiled: CompiledPolicy, secrets: readonly string[]) {
    this.#compiled = compiled;
    this.#secrets = secrets;
    this.#visitorBase = compiled.policy.cookie.name;
    this.#choiceBase = compiled.policy.choices.cookieName;
  }

  read(req: IncomingMessage & { secure?: boolean }): CookieState {
    const header = req.headers.cookie;
    if (header === undefined) return NONE;
    const hasVisitor = header.includes(this.#visitorBase);
    const hasChoice = header.includes(this.#choiceBase);
    if (!hasVisitor && !hasChoice) return NONE;
    const cookies = parseCookies(header);
    const secure = req.secure === true;
    const names: string[] = [];
    let visitorId: string | undefined;
    if (hasVisitor) {
      for (const name of [this.#visitorBase, `__Host-${this.#visitorBase}`]) {
        if (cookies[name] !== undefined) names.push(name);
      }
      // Only the name that fits this request's security counts; the other is expired if present.
      visitorId = verifyVisitorId(cookies[cookieName(this.#visitorBase, secure)], this.#secrets);
    }
    const choice = hasChoice
      ? readChoice(cookies[cookieName(this.#choiceBase, secure)])
      : undefined;
    return { visitorId, visitorNames: names, choice };
  }

  /**
   * Make the response's cookies agree with the decision: keep a valid id untouched (K3: no new
   * expiry), issue one where analytics is allowed and none is valid, expire any that must go.
   * Returns the visitor id this request may record.
   */
  apply(
    res: ServerResponse,
    secure: boolean,
    state: CookieState,
    decision: Decision,
  ): string | undefined {
    if (this.#compiled.visitor === 'cookie' && decision.analytics) {
      const name = cookieName(this.#visitorBase, secure);
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
    if (!res.headersSent)
      dropPendingCookies(res, [this.#visitorBase, `__Host-${this.#visitorBase}`]);
    for (const name of state.visitorNames) this.expire(res, name, secure);
    return undefined;
  }

  /** Remember a choice; the value is the same for everyone who makes it (S7). */
  setChoice(res: ServerResponse, secure: boolean, choice: Choice): void {
    this.#set(
      res,
      cookieName(this.#choiceBase, secure),
      choice,
      this.#compiled.choiceMaxAgeMs,
      secure,
    );
  }

  expire(res: ServerResponse, name: string, secure: boolean): void {
    // A __Host- cookie can only be replaced by a Secure one, whatever this request's scheme.
    this.#set(res, name, '', 0, secure || name.startsWith('__Host-'));
  }

  #set(res: ServerResponse, name: string, value: string, maxAgeMs: number, secure: boolean): void {
    putCookie(res, name, serializeCookie({ name, value, maxAgeMs, secure }));
  }
}
